import { DagFolderParseRepository, type FolderParser } from '../store/dag-folder-parse-repository.ts';
import type { Store } from '../store/store.ts';
import type { DagFolderParse } from './dag-folder.ts';

/**
 * Writes a folder parse to the store: DAGs upserted, vanished DAGs deactivated,
 * import errors replaced, and the parse itself recorded (when, by whom) so that
 * readers can say how fresh what they show is.
 */
export async function syncDagFolder(store: Store, parse: DagFolderParse, now: Date, parsedBy: FolderParser = 'scheduler'): Promise<{ deactivated: string[] }> {
  const at = now.toISOString();
  for (const { spec, file, fingerprint } of parse.dags.values()) await store.dags.upsert(spec, file, fingerprint, at);
  // A DAG in a file that is now broken keeps its last good version active, as in Airflow.
  const broken = new Set(parse.importErrors.map((e) => e.filename));
  const keep = [...parse.dags.keys()];
  for (const row of await store.dags.list({ activeOnly: true })) if (broken.has(row.fileloc)) keep.push(row.dagId);
  const deactivated = await store.dags.deactivateExcept(keep);
  await store.importErrors.replaceAll(parse.importErrors, now);
  await new DagFolderParseRepository(store.db).record({
    folder: parse.folder, parsedAt: at, parsedBy, durationMs: parse.durationMs,
    dagCount: parse.dags.size, importErrorCount: parse.importErrors.length,
  });
  return { deactivated };
}
