import type { DagSpec } from '../models/dag-spec.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';

/** A text drawing of a DAG: one line per topological generation, then each task's edges. */
export function drawDag(spec: DagSpec): string {
  const generation = new Map<string, number>();
  for (const task of spec.tasks) {
    const level = Math.max(-1, ...task.upstream.map((id) => generation.get(id) ?? 0)) + 1;
    generation.set(task.taskId, level);
  }
  const levels: string[][] = [];
  for (const task of spec.tasks) (levels[generation.get(task.taskId)!] ??= []).push(task.taskId);
  const lines = levels.map((ids, i) => `${String(i).padStart(2)} | ${ids.map((id) => `[${id}]`).join('  ')}`);
  lines.push('');
  for (const task of spec.tasks) {
    const rule = task.triggerRule === 'all_success' ? '' : `, ${task.triggerRule}`;
    lines.push(`${task.taskId} (${task.operator}${rule})`);
    for (const [i, id] of task.downstream.entries()) lines.push(`  ${i === task.downstream.length - 1 ? '└' : '├'}──> ${id}`);
  }
  return lines.join('\n');
}

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

export const TI_COLUMNS = ['task_id', 'try_number', 'state', 'start_date', 'end_date', 'duration_s', 'worker_id', 'error'];
