import { xcomJson } from '../execution/xcom-artifacts.ts';
import { NotFoundError } from '../models/errors.ts';
import type { Store } from '../store/store.ts';

/** One XCom as Airflow's REST API lists it (no value). */
export interface XComEntryRow {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  key: string;
  timestamp: string;
}

/** A task's XComs in a run (Airflow's xcomEntries), in key order. */
export async function xcomEntries(store: Store, dagId: string, runId: string, taskId: string): Promise<XComEntryRow[]> {
  const entries = await store.xcom.entriesOf(dagId, runId, taskId);
  return entries.map((e) => ({ dag_id: dagId, run_id: runId, task_id: taskId, map_index: -1, key: e.key, timestamp: e.timestamp }));
}

/**
 * One XCom with its value as JSON text: an offloaded value is read from the
 * artifact store (verified) and passed on as it was written, never parsed, so
 * a large one costs its bytes once. Shared by the CLI and the REST API.
 */
export async function xcomEntry(
  store: Store,
  dagId: string,
  runId: string,
  taskId: string,
  key: string,
): Promise<{ row: XComEntryRow; json: Buffer }> {
  const entry = (await store.xcom.entriesOf(dagId, runId, taskId)).find((e) => e.key === key);
  if (!entry) throw new NotFoundError(`task '${taskId}' of run '${runId}' of DAG '${dagId}' has no XCom '${key}'`);
  const row = { dag_id: dagId, run_id: runId, task_id: taskId, map_index: -1, key, timestamp: entry.timestamp };
  return { row, json: await xcomJson(store, entry.value) };
}

/** The row with its `value` spliced in as JSON text, without parsing it. */
export function withValue(row: XComEntryRow, json: Buffer): Buffer {
  const head = JSON.stringify(row);
  return Buffer.concat([Buffer.from(`${head.slice(0, -1)},"value":`), json, Buffer.from('}')]);
}
