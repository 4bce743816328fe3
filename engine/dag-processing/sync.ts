import type { Store } from '../store/store.ts';
import type { DagFolderParse } from './dag-folder.ts';

/** Writes a folder parse to the store: DAGs upserted, vanished DAGs deactivated, import errors replaced. */
export async function syncDagFolder(store: Store, parse: DagFolderParse, now: Date): Promise<{ deactivated: string[] }> {
  const at = now.toISOString();
  for (const { spec, file, fingerprint } of parse.dags.values()) await store.dags.upsert(spec, file, fingerprint, at);
  // A DAG in a file that is now broken keeps its last good version active, as in Airflow.
  const broken = new Set(parse.importErrors.map((e) => e.filename));
  const keep = [...parse.dags.keys()];
  for (const row of await store.dags.list({ activeOnly: true })) if (broken.has(row.fileloc)) keep.push(row.dagId);
  const deactivated = await store.dags.deactivateExcept(keep);
  await store.importErrors.replaceAll(parse.importErrors, now);
  return { deactivated };
}
