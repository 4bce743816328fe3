// The side panel: the selected task's tries, details, log and actions, or the selected run's details and actions.
import { apiCached, fill, formatDate, formatDuration, h, statePill } from './common.js';
import { runPath, state, taskPath, update } from './dag-state.js';
import { runActions, taskActions } from './actions.js';
import { createLogView } from './log-view.js';

const HINT = "Click a cell of the grid (or a task in the graph) for its tries and log; click a run's bar for the run.";

const kv = (pairs) =>
  h(
    'dl',
    { class: 'kv', 'data-testid': 'try-details' },
    pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]),
  );

export function createPanel(refreshAll) {
  const root = h('aside', { class: 'panel', 'data-testid': 'task-panel' }, h('p', { class: 'muted' }, HINT));
  let shownKey = '';
  /** The shown try's log: kept across polls, so each poll reads only what is new. */
  let logView = null;

  async function showTask(runId, taskId) {
    const base = taskPath(runId, taskId);
    let tries, changed;
    try {
      ({
        payload: { task_instances: tries },
        changed,
      } = await apiCached(`${base}/tries`));
    } catch (error) {
      fill(root, h('h2', {}, taskId), h('p', { class: 'muted' }, error.status === 404 ? 'No try yet.' : error.message));
      return;
    }
    const shown = tries.find((t) => t.try_number === state.tryNumber) ?? tries.at(-1);
    const logPath = `${base}/logs/${shown.try_number}`;
    if (logView?.path !== logPath) logView = { path: logPath, ...createLogView(logPath) };
    const view = logView;
    await view.refresh();
    const key = `task ${runId} ${taskId} ${shown.try_number}`;
    if (state.runId !== runId || state.taskId !== taskId) return;
    if (key === shownKey && !changed) return;
    shownKey = key;
    fill(
      root,
      h('h2', {}, taskId),
      h('div', { class: 'muted', 'data-testid': 'panel-run' }, runId),
      h('div', { class: 'toolbar wrap' }, taskActions(runId, taskId, refreshAll)),
      h(
        'div',
        { class: 'tabs' },
        tries.map((t) =>
          h(
            'button',
            {
              'aria-selected': String(t.try_number === shown.try_number),
              'data-testid': `try-${t.try_number}`,
              onclick: () => update({ tryNumber: t.try_number }),
            },
            `Try ${t.try_number}`,
          ),
        ),
      ),
      kv([
        ['state', statePill(shown.state)],
        ['try', String(shown.try_number)],
        ['operator', shown.operator],
        ['queue', shown.queue],
        ['queued', formatDate(shown.queued_at)],
        ['started', formatDate(shown.start_date)],
        ['ended', formatDate(shown.end_date)],
        ['duration', formatDuration(shown.duration_s)],
        ['worker', shown.worker_id],
        ['error', h('span', { class: 'error' }, shown.error ?? '')],
      ]),
      h('h2', {}, 'Log'),
      view.el,
    );
    view.restoreScroll();
  }

  async function showRun(runId) {
    const { payload: run, changed } = await apiCached(runPath(runId));
    const key = `run ${runId}`;
    if (state.runId !== runId || state.taskId) return;
    if (key === shownKey && !changed) return;
    shownKey = key;
    const duration = run.start_date && run.end_date ? (Date.parse(run.end_date) - Date.parse(run.start_date)) / 1000 : null;
    fill(
      root,
      h('h2', { 'data-testid': 'run-details' }, 'Run'),
      h('div', { class: 'mono' }, runId),
      h('div', { class: 'toolbar wrap' }, runActions(runId, refreshAll)),
      h(
        'dl',
        { class: 'kv', 'data-testid': 'run-details-list' },
        [
          ['state', statePill(run.state)],
          ['run type', run.run_type],
          ['logical date', formatDate(run.logical_date)],
          ['data interval', `${formatDate(run.data_interval_start)} → ${formatDate(run.data_interval_end)}`],
          ['started', formatDate(run.start_date)],
          ['ended', formatDate(run.end_date)],
          ['duration', formatDuration(duration)],
        ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]),
      ),
      h('h2', {}, 'Conf'),
      h('pre', { class: 'conf' }, JSON.stringify(run.conf ?? {}, null, 2)),
    );
  }

  /** Shows what the URL names; asks the API with ETags, so an unchanged panel is not redrawn. */
  async function refresh() {
    const { runId, taskId } = state;
    try {
      if (runId && taskId) await showTask(runId, taskId);
      else if (runId) await showRun(runId);
      else if (shownKey !== '') {
        shownKey = '';
        fill(root, h('p', { class: 'muted' }, HINT));
      }
    } catch (error) {
      shownKey = '';
      fill(root, h('p', { class: 'muted' }, error.status === 404 ? `Run ${runId} is gone.` : error.message));
    }
  }

  return { root, refresh, reset: () => (shownKey = '') };
}
