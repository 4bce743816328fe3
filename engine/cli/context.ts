import { existsSync } from 'node:fs';
import { relative } from 'node:path';
// Type-only: a read command must not pay for the DAG parser, the store or
// their libraries before it needs them (see main.ts).
import type { ArtifactStore } from '../artifacts/interfaces.ts';
import type { DagFolderParse } from '../dag-processing/dag-folder.ts';
import type { DagModuleCache } from '../dag-processing/dag-module-cache.ts';
import type { Dag } from '../models/dag.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { NotFoundError } from '../models/errors.ts';
import type { DagFolderParseRecord } from '../store/dag-folder-parse-repository.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store, StoreOptions } from '../store/store.ts';
import { clockFromEnv, type Clock } from '../utils/clock.ts';

/**
 * What every command shares: the DAG folder, the store, the clock. Opened lazily, closed once.
 *
 * Two ways to know a DAG (decision 12): read commands take the serialized DAG
 * the last folder parse wrote to the store ({@link storedDag}); only commands
 * that run a DAG's code or refresh the store parse the folder ({@link reserialize},
 * {@link dag}).
 */
export class CliContext {
  readonly clock: Clock = clockFromEnv();
  private storePromise: Promise<Store> | null = null;
  private artifactsPromise: Promise<ArtifactStore> | null = null;
  private parsePromise: Promise<DagFolderParse> | null = null;
  private modules: DagModuleCache | null = null;

  constructor(readonly folder: string) {}

  /** The store with the project's plugins' migrations, opened on first use (`options` only count then: a worker sizes its PostgreSQL pool to its concurrency). */
  store(options: Omit<StoreOptions, 'pluginMigrations'> = {}): Promise<Store> {
    this.storePromise ??= import('../plugins/open-store.ts').then(({ openStoreWithPlugins }) => openStoreWithPlugins(options));
    return this.storePromise;
  }

  /** The artifact store (UPDRAFT_ARTIFACTS_URL), for commands that read or write models. */
  artifacts(): Promise<ArtifactStore> {
    this.artifactsPromise ??= import('../artifacts/open-artifact-store.ts').then(({ openArtifactStore }) => openArtifactStore());
    return this.artifactsPromise;
  }

  /** The folder as the user would write it, for messages. */
  get folderName(): string {
    return relative(process.cwd(), this.folder) || '.';
  }

  /** Parses the DAG folder (each file isolated) and records the result in the store, as `dags reserialize`. */
  reserialize(): Promise<DagFolderParse> {
    this.parsePromise ??= (async () => {
      const [{ parseDagFolder }, { syncDagFolder }] = await Promise.all([import('../dag-processing/dag-folder.ts'), import('../dag-processing/sync.ts')]);
      const parse = await parseDagFolder(this.folder);
      await syncDagFolder(await this.store(), parse, this.clock.now(), 'reserialize');
      return parse;
    })();
    return this.parsePromise;
  }

  /** The store's record of the last parse of this folder, if anyone ever parsed it. */
  async lastParse(): Promise<DagFolderParseRecord | undefined> {
    const { DagFolderParseRepository } = await import('../store/dag-folder-parse-repository.ts');
    return new DagFolderParseRepository((await this.store()).db).get(this.folder);
  }

  /**
   * The last parse of the folder. A folder the store has never seen parsed
   * (a fresh clone, no scheduler yet) is parsed once, here, so that a new
   * user's first command still shows their DAGs; every later read takes the store.
   * Null when there is no such folder here: a read must not sync an empty
   * parse, which would deactivate every DAG of a shared store.
   */
  async ensureParsed(announce: (line: string) => void = (line) => process.stderr.write(`updraft: ${line}\n`)): Promise<DagFolderParseRecord | null> {
    const known = await this.lastParse();
    if (known) return known;
    if (!existsSync(this.folder)) return null;
    announce(`DAG folder ${this.folderName} has never been parsed into the store; parsing it now (as 'updraft dags reserialize')`);
    await this.reserialize();
    return (await this.lastParse())!;
  }

  /** A DAG as the last folder parse serialized it; never imports a DAG file (except a first parse, see {@link ensureParsed}). */
  async storedDag(dagId: string): Promise<DagRow> {
    const store = await this.store();
    const known = await store.dags.get(dagId);
    if (known) return known;
    const parse = await this.ensureParsed();
    const found = await store.dags.get(dagId);
    if (found) return found;
    if (!parse) throw new NotFoundError(`DAG '${dagId}' not found: the store has none by that id and there is no DAG folder ${this.folderName} here (--dags-folder, UPDRAFT_DAGS_FOLDER; 'updraft info' shows how it was found)`);
    const broken = parse.importErrorCount > 0 ? `; ${parse.importErrorCount} file(s) failed to import: see 'updraft dags list-import-errors'` : '';
    throw new NotFoundError(`DAG '${dagId}' not found in ${this.folderName} as last parsed at ${parse.parsedAt} by ${parse.parsedBy}${broken}; 'updraft dags reserialize' parses the folder now`);
  }

  /** A DAG from a fresh parse of the folder, or a NotFoundError that points at import errors. */
  async dagSpec(dagId: string): Promise<{ spec: DagSpec; file: string }> {
    const parse = await this.reserialize();
    const found = parse.dags.get(dagId);
    if (found) return found;
    const broken = parse.importErrors.length;
    const hint = broken > 0 ? ` (${broken} file(s) failed to import: see 'updraft dags list-import-errors')` : '';
    throw new NotFoundError(`DAG '${dagId}' not found in ${this.folderName}${hint}`);
  }

  /** The DAG with its callables, imported into this process. */
  async dag(dagId: string): Promise<Dag> {
    const { file } = await this.dagSpec(dagId);
    if (!this.modules) {
      const { DagModuleCache } = await import('../dag-processing/dag-module-cache.ts');
      this.modules = new DagModuleCache();
    }
    return this.modules.get(dagId, file);
  }

  /** A DAG as the store knows it, for commands that change it (trigger, pause, clear); parses the folder first if the store has never seen it. */
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
    // One that failed to open has nothing to close: its error was the command's, reported once already.
    const opened = async (store: Promise<{ close(): Promise<void> }> | null): Promise<void> => (await store?.catch(() => null))?.close();
    await opened(this.storePromise);
    await opened(this.artifactsPromise);
  }
}
