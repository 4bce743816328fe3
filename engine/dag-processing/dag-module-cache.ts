import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Dag } from '../models/dag.ts';
import { NotFoundError } from '../models/errors.ts';
import { ensureDagLoader } from '../runtime/dag-loader.ts';
import { dagsOfModule } from './describe-module.ts';
import { fileFingerprint } from './dag-file-location.ts';

/**
 * Imports DAG files into this process and keeps them, keyed by the file's
 * content fingerprint: a worker pays the TypeScript load once per file
 * version, not once per task. A changed file is imported again under a new
 * URL (`?v=<fingerprint>`), so the old version's closures stay untouched.
 */
export class DagModuleCache {
  private readonly modules = new Map<string, { fingerprint: string; dags: Map<string, Dag> }>();
  private readonly fingerprints = new Map<string, { stamp: string; fingerprint: string }>();

  /** The content hash, recomputed only when the file's size or mtime moved. */
  private fingerprint(file: string): string {
    const { mtimeMs, size } = statSync(file);
    const stamp = `${mtimeMs}:${size}`;
    const known = this.fingerprints.get(file);
    if (known?.stamp === stamp) return known.fingerprint;
    const fingerprint = fileFingerprint(file);
    this.fingerprints.set(file, { stamp, fingerprint });
    return fingerprint;
  }

  /** Every DAG `file` defines, imported once per file version. */
  async dagsIn(file: string): Promise<Dag[]> {
    return [...(await this.load(file)).values()];
  }

  async get(dagId: string, file: string): Promise<Dag> {
    const dag = (await this.load(file)).get(dagId);
    if (!dag) throw new NotFoundError(`DAG '${dagId}' is not defined in ${file}`);
    return dag;
  }

  private async load(file: string): Promise<Map<string, Dag>> {
    const fingerprint = this.fingerprint(file);
    let entry = this.modules.get(file);
    if (!entry || entry.fingerprint !== fingerprint) {
      await ensureDagLoader();
      const mod = (await import(`${pathToFileURL(file).href}?v=${fingerprint}`)) as Record<string, unknown>;
      entry = { fingerprint, dags: new Map(dagsOfModule(mod, file).map((d) => [d.dagId, d])) };
      this.modules.set(file, entry);
    }
    return entry.dags;
  }
}
