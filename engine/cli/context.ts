import { existsSync } from 'node:fs';
import { relative } from 'node:path';
// Type-only: a read command must not pay for the DAG parser, the store or
// their libraries before it needs them (see main.ts).
import type { ArtifactStore } from '../artifacts/interfaces.ts';
import type { DagFolderParse } from '../dag-processing/dag-folder.ts';
import type { DagModuleCache } from '../dag-processing/dag-module-cache.ts';
import type { Dag } from '../models/dag.ts';
import { NotFoundError } from '../models/errors.ts';
import type { DagFolderParseRecord } from '../store/dag-folder-parse-repository.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store, StoreOptions } from '../store/store.ts';
import { clockFromEnv, type Clock } from '../utils/clock.ts';

/**
 * What every command shares: the DAG folder, the store, the clock. Opened lazily, closed once.
 *
 * Two ways to know a DAG (ADR 12, docs/adr/0012-readers-read-the-store.md):
 * read commands take the serialized DAG the last folder parse wrote to the
 * store ({@link storedDag}); commands that run a DAG's code import its file
 * only ({@link dag}); `dags reserialize` and `dags report` parse the folder ({@link reserialize}).
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
      const [{ parseDagFolder }, { syncDagFolder }] = await Promise.all([
        import('../dag-processing/dag-folder.ts'),
        import('../dag-processing/sync.ts'),
      ]);
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
  async ensureParsed(
    announce: (line: string) => void = (line) => process.stderr.write(`updraft: ${line}\n`),
  ): Promise<DagFolderParseRecord | null> {
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
    if (!parse)
      throw new NotFoundError(
        `DAG '${dagId}' not found: the store has none by that id and there is no DAG folder ${this.folderName} here (--dags-folder, UPDRAFT_DAGS_FOLDER; 'updraft info' shows how it was found)`,
      );
    const broken =
      parse.importErrorCount > 0 ? `; ${parse.importErrorCount} file(s) failed to import: see 'updraft dags list-import-errors'` : '';
    throw new NotFoundError(
      `DAG '${dagId}' not found in ${this.folderName} as last parsed at ${parse.parsedAt} by ${parse.parsedBy}${broken}; 'updraft dags reserialize' parses the folder now`,
    );
  }

  /**
   * The DAG with its callables, imported into this process. Only its file is
   * imported (issue 26): the one the store records for it;
   * for a DAG the store does not know, the files whose text names its id; and
   * only when none defines it, the whole folder, announced on stderr.
   */
  async dag(dagId: string): Promise<Dag> {
    const store = await this.store();
    const recorded = await store.dags.get(dagId);
    if (recorded) {
      // Two files defining the id is a fact of the whole folder: the last parse of it recorded it.
      const duplicated = (await store.importErrors.list()).find(
        (e) => e.filename === recorded.fileloc && e.message.startsWith(`DAG id '${dagId}' is also defined in`),
      );
      if (duplicated)
        throw await this.importError(
          dagId,
          duplicated.filename,
          duplicated.message,
          " (as the folder was last parsed; 'updraft dags reserialize' parses it again)",
        );
      const { localDagFile } = await import('../dag-processing/dag-file-location.ts');
      const file = localDagFile(recorded, this.folder);
      const dag = existsSync(file) ? await this.importDag(dagId, file) : undefined;
      if (dag) return dag;
    }
    const file = (await this.findDagFile(dagId)) ?? (await this.fileFromFullParse(dagId));
    const dag = await this.importDag(dagId, file);
    if (!dag) throw new NotFoundError(`DAG '${dagId}' is not defined in ${this.shown(file)}`);
    return dag;
  }

  /**
   * A DAG as the store knows it, for commands that change it (trigger, pause,
   * clear): a DAG the store does not know yet is looked for in the files that
   * name its id; never a parse of the whole folder (but a folder never parsed
   * at all is parsed once, see {@link ensureParsed}).
   */
  async dagRow(dagId: string): Promise<DagRow> {
    const store = await this.store();
    const known = await store.dags.get(dagId);
    if (known) return known;
    if (await this.findDagFile(dagId)) return (await store.dags.get(dagId))!;
    return this.storedDag(dagId);
  }

  /**
   * The file defining a DAG the store does not know, from the files whose
   * text names its id, each parsed in isolation and written to the store.
   * Null when none defines it; a DagImportError when one that names it failed to import.
   */
  private async findDagFile(dagId: string): Promise<string | null> {
    const [{ filesNaming }, { parseDagFiles }, { syncDagFiles }] = await Promise.all([
      import('../dag-processing/find-dag-file.ts'),
      import('../dag-processing/dag-folder.ts'),
      import('../dag-processing/sync.ts'),
    ]);
    const candidates = filesNaming(this.folder, dagId);
    if (candidates.length === 0) return null;
    const parse = await parseDagFiles(this.folder, candidates);
    await syncDagFiles(await this.store(), parse, this.clock.now());
    const found = parse.dags.get(dagId);
    if (found) return found.file;
    const failed = parse.importErrors[0];
    if (!failed) return null;
    const more =
      parse.importErrors.length > 1
        ? ` (and ${parse.importErrors.length - 1} more file(s) naming it: see 'updraft dags list-import-errors')`
        : '';
    throw await this.importError(dagId, failed.filename, failed.message, more);
  }

  /** The last resort of {@link dag}: a DAG whose id no file spells out (built in a loop) is found by parsing the folder. */
  private async fileFromFullParse(dagId: string): Promise<string> {
    process.stderr.write(
      `updraft: DAG '${dagId}' is not in the store and no file in ${this.folderName} names it; parsing the whole folder (as 'updraft dags reserialize')\n`,
    );
    const parse = await this.reserialize();
    const found = parse.dags.get(dagId);
    if (found) return found.file;
    const broken = parse.importErrors.length;
    const hint = broken > 0 ? ` (${broken} file(s) failed to import: see 'updraft dags list-import-errors')` : '';
    throw new NotFoundError(`DAG '${dagId}' not found in ${this.folderName}${hint}`);
  }

  /** Imports `file` here and writes its DAGs to the store; undefined when it no longer defines `dagId`. */
  private async importDag(dagId: string, file: string): Promise<Dag | undefined> {
    if (!this.modules) {
      const { DagModuleCache } = await import('../dag-processing/dag-module-cache.ts');
      this.modules = new DagModuleCache();
    }
    const { parseOfImported, syncDagFiles } = await import('../dag-processing/sync.ts');
    let dags: Dag[];
    try {
      dags = await this.modules.dagsIn(file);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await syncDagFiles(await this.store(), parseOfImported(this.folder, file, message), this.clock.now());
      throw await this.importError(dagId, file, message, '');
    }
    await syncDagFiles(
      await this.store(),
      parseOfImported(
        this.folder,
        file,
        dags.map((d) => d.toSpec()),
      ),
      this.clock.now(),
    );
    return dags.find((d) => d.dagId === dagId);
  }

  private async importError(dagId: string, file: string, message: string, more: string): Promise<Error> {
    const { DagImportError } = await import('../dag-processing/errors.ts');
    return new DagImportError(
      `DAG '${dagId}': its file ${this.shown(file)} failed to import: ${message.replace(/\s*\n\s*/g, ' | ').trim()}${more}`,
    );
  }

  private shown(file: string): string {
    return relative(process.cwd(), file) || file;
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
