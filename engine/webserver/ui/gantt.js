// The Gantt chart of one run: a row per task, a bar per try, the time it sat queued drawn apart from the
// time it ran, so retries and queueing delays show at a glance.
import { apiCached, colorOf, fill, formatDate, formatDuration, h } from './common.js';
import { currentRunId, runPath, state, update } from './dag-state.js';

const LABEL_W = 260;

export function createGantt() {
  const title = h('div', { class: 'muted', 'data-testid': 'gantt-run' });
  const chart = h('div', { class: 'gantt', 'data-testid': 'gantt' });
  const root = h(
    'div',
    { class: 'gantt-view' },
    title,
    h(
      'div',
      { class: 'legend' },
      h('span', {}, h('span', { class: 'state gantt-queued-swatch' }), ' queued (waiting for a worker)'),
      h('span', {}, h('span', { class: 'state', style: { background: colorOf('success') } }), " running, coloured by the try's state"),
    ),
    chart,
  );
  let shown = '';

  async function render() {
    const runId = currentRunId();
    if (!runId) {
      fill(chart, h('p', { class: 'muted' }, 'No runs yet.'));
      return;
    }
    const { payload, changed } = await apiCached(`${runPath(runId)}/gantt`);
    if (!changed && shown === runId) return;
    shown = runId;
    const tries = payload.task_instances.filter((t) => t.queued_at || t.start_date);
    fill(title, `Run ${runId} (${payload.dag_run.state}) · logical date ${formatDate(payload.dag_run.logical_date)}`);
    if (tries.length === 0) {
      fill(chart, h('p', { class: 'muted' }, 'No task of this run has been queued yet.'));
      return;
    }
    const now = Date.now();
    const t = (iso) => (iso ? Date.parse(iso) : null);
    const begin = Math.min(...tries.map((x) => t(x.queued_at) ?? t(x.start_date)));
    const end = Math.max(...tries.map((x) => t(x.end_date) ?? (x.start_date ? now : t(x.queued_at))), begin + 1000);
    const pct = (ms) => `${((ms - begin) / (end - begin)) * 100}%`;
    const width = (from, to) => `${Math.max(0.15, ((to - from) / (end - begin)) * 100)}%`;
    const byTask = new Map();
    for (const x of tries) (byTask.get(x.task_id) ?? byTask.set(x.task_id, []).get(x.task_id)).push(x);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) =>
      h('span', { class: 'tick', style: { left: `${f * 100}%` } }, `+${formatDuration(((end - begin) * f) / 1000) || '0 s'}`),
    );
    fill(
      chart,
      h(
        'div',
        { class: 'gantt-row gantt-axis' },
        h('div', { class: 'gantt-label', style: { width: `${LABEL_W}px` } }, formatDate(new Date(begin).toISOString())),
        h('div', { class: 'gantt-track' }, ticks),
      ),
      [...byTask].map(([taskId, list]) =>
        h(
          'div',
          { class: `gantt-row${state.taskId === taskId ? ' selected' : ''}`, 'data-testid': `gantt-row-${taskId}` },
          h('div', { class: 'gantt-label', style: { width: `${LABEL_W}px` }, title: taskId }, taskId),
          h(
            'div',
            { class: 'gantt-track' },
            list.flatMap((x) => {
              const queued = t(x.queued_at),
                started = t(x.start_date),
                ended = t(x.end_date) ?? (started ? now : null);
              const about = `${taskId} try ${x.try_number}: ${x.state}\nqueued ${formatDate(x.queued_at)}${queued && started ? ` (waited ${formatDuration((started - queued) / 1000)})` : ''}\nran ${formatDate(x.start_date)} → ${formatDate(x.end_date)}${started && ended ? ` (${formatDuration((ended - started) / 1000)})` : ''}`;
              const select = () => update({ runId, taskId, tryNumber: x.try_number });
              const bars = [];
              if (queued && (started ?? now) > queued)
                bars.push(
                  h('div', {
                    class: 'gantt-bar queued',
                    title: about,
                    onclick: select,
                    'data-testid': `gantt-queued-${taskId}-${x.try_number}`,
                    style: { left: pct(queued), width: width(queued, started ?? now) },
                  }),
                );
              if (started)
                bars.push(
                  h(
                    'div',
                    {
                      class: 'gantt-bar',
                      title: about,
                      onclick: select,
                      'data-testid': `gantt-bar-${taskId}-${x.try_number}`,
                      'data-state': x.state,
                      'data-try': x.try_number,
                      style: { left: pct(started), width: width(started, ended), background: colorOf(x.state) },
                    },
                    x.try_number > 1 ? `try ${x.try_number}` : '',
                  ),
                );
              return bars;
            }),
          ),
        ),
      ),
    );
  }

  return { root, render, reset: () => (shown = '') };
}
