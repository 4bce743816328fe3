import { relative } from 'node:path';
import { dagsFolder, parseDagFolder, type DagFolderParse } from '../dag-processing/dag-folder.ts';
import { DagModuleCache } from '../dag-processing/dag-module-cache.ts';
import { syncDagFolder } from '../dag-processing/sync.ts';
import type { Dag } from '../models/dag.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { NotFoundError } from '../models/errors.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import { Store } from '../store/store.ts';
import { clockFromEnv, type Clock } from '../utils/clock.ts';

/** What every command shares: the DAG folder, the store, the clock. Opened lazily, closed once. */
export class CliContext {
  readonly clock: Clock = clockFromEnv();
  private storePromise: Promise<Store> | null = null;
  private parsePromise: Promise<DagFolderParse> | null = null;
  private readonly modules = new DagModuleCache();

  constructor(readonly folder: string = dagsFolder()) {}

  store(): Promise<Store> {
    this.storePromise ??= Store.open();
    return this.storePromise;
  }

  /** Parses the DAG folder (each file isolated) and records the result in the store. */
  parse(): Promise<DagFolderParse> {
    this.parsePromise ??= (async () => {
      const parse = await parseDagFolder(this.folder);
      await syncDagFolder(await this.store(), parse, this.clock.now());
      return parse;
    })();
    return this.parsePromise;
  }

  /** A DAG from the folder, or a NotFoundError that points at import errors. */
  async dagSpec(dagId: string): Promise<{ spec: DagSpec; file: string }> {
    const parse = await this.parse();
    const found = parse.dags.get(dagId);
    if (found) return found;
    const broken = parse.importErrors.length;
    const hint = broken > 0 ? ` (${broken} file(s) failed to import: see 'updraft dags list-import-errors')` : '';
    throw new NotFoundError(`DAG '${dagId}' not found in ${relative(process.cwd(), this.folder) || '.'}${hint}`);
  }

  /** The DAG with its callables, imported into this process. */
  async dag(dagId: string): Promise<Dag> {
    const { file } = await this.dagSpec(dagId);
    return this.modules.get(dagId, file);
  }

  /** A DAG as the store knows it; parses the folder first if the store has never seen it. */
  async dagRow(dagId: string): Promise<DagRow> {
    const store = await this.store();
    const known = await store.dags.get(dagId);
    if (known) return known;
    await this.dagSpec(dagId);
    return (await store.dags.get(dagId))!;
  }

  async run(dagId: string, runId: string): Promise<DagRun> {
    const run = await (await this.store()).runs.get(dagId, runId);
    if (!run) throw new NotFoundError(`DAG '${dagId}' has no run '${runId}'`);
    return run;
  }

  async close(): Promise<void> {
    if (this.storePromise) await (await this.storePromise).close();
  }
}
