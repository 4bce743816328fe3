// Run and task actions (Airflow's stable API), each behind a confirmation that lists what it changes.
import { api, h } from './common.js';
import { confirmAction } from './confirm.js';
import { dagPath, runPath, state, taskPath, update } from './dag-state.js';

const UNFINISHED = new Set(['none', 'scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'restarting', 'deferred']);

const clearBody = (runId, extra) => ({ dag_run_id: runId, ...extra });

/** Clear, mark success, mark failed for one task of one run. */
export function taskActions(runId, taskId, refreshAll) {
  const clear = () =>
    confirmAction({
      heading: 'Clear',
      text: `Run ${taskId} of ${runId} again, as a new try? Its earlier tries and logs are kept.`,
      confirmLabel: 'Clear',
      options: [{ name: 'downstream', label: 'and everything downstream', checked: false }],
      dryRun: async (o) =>
        (
          await api(`${dagPath}/clearTaskInstances`, {
            method: 'POST',
            body: clearBody(runId, { task_ids: [taskId], include_downstream: o.downstream, dry_run: true }),
          })
        ).task_instances,
      run: (o) =>
        api(`${dagPath}/clearTaskInstances`, {
          method: 'POST',
          body: clearBody(runId, { task_ids: [taskId], include_downstream: o.downstream }),
        }),
      onDone: () => {
        update({ tryNumber: null });
        return refreshAll();
      },
    });
  const mark = (newState) =>
    confirmAction({
      heading: `Mark ${newState}`,
      text: `Mark ${taskId} of ${runId} as ${newState}?`,
      confirmLabel: `Mark ${newState}`,
      options: [
        { name: 'upstream', label: 'and its upstream tasks', checked: false },
        { name: 'downstream', label: 'and its downstream tasks', checked: false },
      ],
      dryRun: async (o) => (await patchTask(runId, taskId, newState, o, true)).task_instances,
      run: (o) => patchTask(runId, taskId, newState, o, false),
      onDone: refreshAll,
    });
  return [
    h('button', { 'data-testid': 'clear-button', onclick: clear }, 'Clear'),
    h('button', { 'data-testid': 'mark-success-button', onclick: () => mark('success') }, 'Mark success'),
    h('button', { 'data-testid': 'mark-failed-button', onclick: () => mark('failed') }, 'Mark failed'),
  ];
}

const patchTask = (runId, taskId, newState, o, dryRun) =>
  api(taskPath(runId, taskId), {
    method: 'PATCH',
    body: { new_state: newState, dry_run: dryRun, include_upstream: o.upstream, include_downstream: o.downstream },
  });

/** The run's unfinished task instances: what marking the run finishes. */
async function unfinishedOf(runId) {
  const { task_instances: tis } = await api(`${runPath(runId)}/taskInstances`);
  return tis.filter((ti) => UNFINISHED.has(ti.state));
}

/** Mark success / failed, clear, delete for one run. */
export function runActions(runId, refreshAll) {
  const mark = (newState) =>
    confirmAction({
      heading: `Mark run ${newState}`,
      text: `Mark run ${runId} as ${newState}? Its unfinished tasks are finished with it.`,
      confirmLabel: `Mark ${newState}`,
      dryRun: () => unfinishedOf(runId),
      run: () => api(runPath(runId), { method: 'PATCH', body: { state: newState } }),
      onDone: refreshAll,
    });
  const clear = () =>
    confirmAction({
      heading: 'Clear run',
      text: `Run the tasks of ${runId} again, as new tries?`,
      confirmLabel: 'Clear',
      options: [{ name: 'onlyFailed', label: 'only the failed ones', checked: false }],
      dryRun: async (o) =>
        (
          await api(`${dagPath}/clearTaskInstances`, {
            method: 'POST',
            body: clearBody(runId, { only_failed: o.onlyFailed, dry_run: true }),
          })
        ).task_instances,
      run: (o) => api(`${dagPath}/clearTaskInstances`, { method: 'POST', body: clearBody(runId, { only_failed: o.onlyFailed }) }),
      onDone: refreshAll,
    });
  const remove = () =>
    confirmAction({
      heading: 'Delete run',
      text: `Delete run ${runId} with all its tries and logs? This cannot be undone.`,
      confirmLabel: 'Delete',
      run: () => api(runPath(runId), { method: 'DELETE' }),
      onDone: () => {
        if (state.runId === runId) update({ runId: null, taskId: null, tryNumber: null });
        return refreshAll();
      },
    });
  return [
    h('button', { 'data-testid': 'run-mark-success', onclick: () => mark('success') }, 'Mark success'),
    h('button', { 'data-testid': 'run-mark-failed', onclick: () => mark('failed') }, 'Mark failed'),
    h('button', { 'data-testid': 'run-clear', onclick: clear }, 'Clear'),
    h('button', { class: 'danger', 'data-testid': 'run-delete', onclick: remove }, 'Delete'),
  ];
}
