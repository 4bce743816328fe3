import type { DagSpec } from '../models/dag-spec.ts';

/** A text drawing of a DAG: one line per topological generation, then each task's edges. */
export function drawDag(spec: DagSpec): string {
  const generation = new Map<string, number>();
  for (const task of spec.tasks) {
    const level = Math.max(-1, ...task.upstream.map((id) => generation.get(id) ?? 0)) + 1;
    generation.set(task.taskId, level);
  }
  const levels: string[][] = [];
  for (const task of spec.tasks) {
    const level = generation.get(task.taskId)!;
    levels[level] ??= [];
    levels[level].push(task.taskId);
  }
  const lines = levels.map((ids, i) => `${String(i).padStart(2)} | ${ids.map((id) => `[${id}]`).join('  ')}`);
  lines.push('');
  for (const task of spec.tasks) {
    const rule = task.triggerRule === 'all_success' ? '' : `, ${task.triggerRule}`;
    lines.push(`${task.taskId} (${task.operator}${rule})`);
    for (const [i, id] of task.downstream.entries()) lines.push(`  ${i === task.downstream.length - 1 ? '└' : '├'}──> ${id}`);
  }
  return lines.join('\n');
}

export const TI_COLUMNS = ['task_id', 'try_number', 'state', 'start_date', 'end_date', 'duration_s', 'worker_id', 'error'];
