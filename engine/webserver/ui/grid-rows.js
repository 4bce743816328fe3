// The grid's rows: tasks in DAG order, folded into task groups (Airflow names a task in group g `g.task`).

/** A task's group: everything before its last dot; null for a task outside any group. */
export const groupOf = (taskId) => {
  const dot = taskId.lastIndexOf('.');
  return dot > 0 ? taskId.slice(0, dot) : null;
};

/** The state a folded group shows for a run: its most urgent member's. */
const URGENCY = [
  'failed',
  'upstream_failed',
  'up_for_retry',
  'running',
  'restarting',
  'queued',
  'scheduled',
  'deferred',
  'up_for_reschedule',
  'success',
  'skipped',
  'removed',
  'none',
];
export function summaryState(states) {
  let best = URGENCY.length - 1;
  for (const s of states) best = Math.min(best, URGENCY.indexOf(s ?? 'none') === -1 ? best : URGENCY.indexOf(s ?? 'none'));
  return URGENCY[best];
}

/**
 * The rows drawn, top to bottom: `{ kind: 'task', taskId, index, depth }` and
 * `{ kind: 'group', group, members: [task indexes], collapsed }`. A group sits
 * where its first task would; a group of one task is not worth a fold.
 */
export function buildRows(taskIds, collapsed) {
  const members = new Map();
  taskIds.forEach((id, index) => {
    const group = groupOf(id);
    if (group !== null) (members.get(group) ?? members.set(group, []).get(group)).push(index);
  });
  const rows = [];
  const placed = new Set();
  taskIds.forEach((taskId, index) => {
    const group = groupOf(taskId);
    if (group === null || members.get(group).length < 2) {
      rows.push({ kind: 'task', taskId, index, depth: 0 });
      return;
    }
    if (placed.has(group)) return;
    placed.add(group);
    const indexes = members.get(group);
    const folded = collapsed.has(group);
    rows.push({ kind: 'group', group, members: indexes, collapsed: folded });
    if (!folded) for (const i of indexes) rows.push({ kind: 'task', taskId: taskIds[i], index: i, depth: 1 });
  });
  return rows;
}

/** Every group name of a DAG (for "collapse all"). */
export const allGroups = (taskIds) => [...new Set(taskIds.map(groupOf).filter((g) => g !== null))];
