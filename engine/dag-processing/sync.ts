import { DagFolderParseRepository, type FolderParser } from '../store/dag-folder-parse-repository.ts';
import type { Store } from '../store/store.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import type { DagFolderParse } from './dag-folder.ts';
import { fileFingerprint, relativeFileloc } from './dag-file-location.ts';

/**
 * Airflow's `dags_are_paused_at_creation`: a DAG the store sees for the first
 * time starts paused unless `UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION` is false (or
 * the DAG says otherwise), so a new deployment runs nothing unasked.
 */
export function dagsArePausedAtCreation(): boolean {
  const value = (process.env.UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION ?? '').trim().toLowerCase();
  return !['false', '0', 'no', 'off'].includes(value);
}

/**
 * Writes a folder parse to the store: DAGs upserted, vanished DAGs deactivated,
 * import errors replaced, and the parse itself recorded (when, by whom) so that
 * readers can say how fresh what they show is.
 */
export async function syncDagFolder(
  store: Store,
  parse: DagFolderParse,
  now: Date,
  parsedBy: FolderParser = 'scheduler',
): Promise<{ deactivated: string[] }> {
  const at = now.toISOString();
  const pausedByDefault = dagsArePausedAtCreation();
  for (const { spec, file, fingerprint } of parse.dags.values()) {
    await store.dags.upsert(
      spec,
      { fileloc: file, relativeFileloc: relativeFileloc(parse.folder, file) },
      fingerprint,
      at,
      spec.isPausedUponCreation ?? pausedByDefault,
    );
  }
  // A DAG in a file that is now broken keeps its last good version active, as in Airflow.
  // Compared by the path inside the folder: another host may have parsed the good version at another path.
  const inFolder = (file: string): string => relativeFileloc(parse.folder, file) ?? file;
  const broken = new Set(parse.importErrors.map((e) => inFolder(e.filename)));
  const keep = [...parse.dags.keys()];
  for (const row of await store.dags.list({ activeOnly: true }))
    if (broken.has(row.relativeFileloc ?? inFolder(row.fileloc))) keep.push(row.dagId);
  const deactivated = await store.dags.deactivateExcept(keep);
  await store.importErrors.replaceAll(parse.importErrors, now);
  await new DagFolderParseRepository(store.db).record({
    folder: parse.folder,
    parsedAt: at,
    parsedBy,
    durationMs: parse.durationMs,
    dagCount: parse.dags.size,
    importErrorCount: parse.importErrors.length,
  });
  return { deactivated };
}

/**
 * Writes a parse of some files of the folder (a command that needed one DAG):
 * their DAGs upserted and their import errors replaced; nothing else changes,
 * and it does not count as a parse of the folder.
 */
export async function syncDagFiles(store: Store, parse: DagFolderParse, now: Date): Promise<void> {
  const at = now.toISOString();
  const pausedByDefault = dagsArePausedAtCreation();
  for (const { spec, file, fingerprint } of parse.dags.values()) {
    await store.dags.upsert(
      spec,
      { fileloc: file, relativeFileloc: relativeFileloc(parse.folder, file) },
      fingerprint,
      at,
      spec.isPausedUponCreation ?? pausedByDefault,
    );
  }
  await store.importErrors.replaceFor(
    parse.fileStats.map((stat) => stat.file),
    parse.importErrors,
    now,
  );
}

/** A file imported into this process (`dags test`), as a parse of that one file for {@link syncDagFiles}. */
export function parseOfImported(folder: string, file: string, result: DagSpec[] | string): DagFolderParse {
  const fingerprint = fileFingerprint(file);
  const failed = typeof result === 'string';
  return {
    folder,
    durationMs: 0,
    files: failed ? [] : [{ file, fingerprint, dags: result }],
    importErrors: failed ? [{ filename: file, message: result }] : [],
    dags: new Map(failed ? [] : result.map((spec) => [spec.dagId, { spec, file, fingerprint }])),
    fileStats: [
      { file, durationMs: 0, dagIds: failed ? [] : result.map((spec) => spec.dagId), error: failed ? result : null, imported: true },
    ],
  };
}
