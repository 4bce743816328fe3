import type { DagSpec } from '../models/dag-spec.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';

/** The JSON shapes of DAGs, runs and task tries: one for the CLI's `--output json` and the REST API. */

export const dagRow = (dag: DagRow): Record<string, unknown> => ({
  dag_id: dag.dagId,
  description: dag.spec.description ?? null,
  fileloc: dag.fileloc,
  owners: dag.spec.owners,
  schedule: dag.spec.schedule,
  is_paused: dag.isPaused,
  is_active: dag.isActive,
  tags: dag.spec.tags,
  max_active_runs: dag.spec.maxActiveRuns,
  catchup: dag.spec.catchup,
  params: dag.spec.params,
  last_parsed_at: dag.lastParsedAt,
});

export const runRow = (run: DagRun): Record<string, unknown> => ({
  dag_id: run.dagId,
  run_id: run.runId,
  state: run.state,
  run_type: run.runType,
  logical_date: run.logicalDate,
  data_interval_start: run.dataIntervalStart,
  data_interval_end: run.dataIntervalEnd,
  start_date: run.startDate,
  end_date: run.endDate,
  conf: run.conf,
});

export const taskInstanceRow = (ti: TaskInstance): Record<string, unknown> => ({
  dag_id: ti.dagId,
  run_id: ti.runId,
  task_id: ti.taskId,
  try_number: ti.tryNumber,
  state: ti.state,
  operator: ti.operator,
  queue: ti.queue,
  queued_at: ti.queuedAt,
  queued_by: ti.queuedBy,
  start_date: ti.startDate,
  end_date: ti.endDate,
  duration_s: ti.durationMs === null ? null : ti.durationMs / 1000,
  hostname: ti.hostname,
  worker_id: ti.workerId,
  error: ti.error,
});

/** Tries in the DAG's topological order, then by try number. */
export function inDagOrder(tries: readonly TaskInstance[], spec: DagSpec | undefined): TaskInstance[] {
  const rank = new Map((spec?.tasks ?? []).map((t, i) => [t.taskId, i]));
  const at = (id: string): number => rank.get(id) ?? Number.MAX_SAFE_INTEGER;
  return [...tries].sort((a, b) => at(a.taskId) - at(b.taskId) || a.taskId.localeCompare(b.taskId) || a.tryNumber - b.tryNumber);
}
