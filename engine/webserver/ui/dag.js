// One DAG: the header (trigger, pause), a tab per view (grid, graph, Gantt, task duration, code) and the side
// panel. Polls with ETags: an unchanged answer is an empty 304 and nothing is redrawn.
import { api, apiCached, fill, formatDate, h, header, poll } from './common.js';
import { createCode } from './code.js';
import { dagId, dagPath, state, subscribe, update, VIEWS } from './dag-state.js';
import { createDurations } from './durations.js';
import { createGantt } from './gantt.js';
import { createGraph } from './graph.js';
import { createGrid, gridQuery } from './grid.js';
import { showNotFound } from './not-found.js';
import { createPanel } from './panel.js';
import { openTrigger } from './trigger.js';

const LABELS = { grid: 'Grid', graph: 'Graph', gantt: 'Gantt', duration: 'Task Duration', code: 'Code' };

const app = document.getElementById('app');
const info = h('div', { class: 'muted', 'data-testid': 'dag-info' });
const status = h('p', { class: 'error', role: 'alert' });
const pause = h('input', { type: 'checkbox', class: 'switch', 'data-testid': 'pause-toggle' });
const tabs = h(
  'div',
  { class: 'tabs', role: 'tablist' },
  VIEWS.map((v) => h('button', { 'data-view': v, 'data-testid': `view-${v}`, onclick: () => update({ view: v }) }, LABELS[v])),
);
const views = { grid: createGrid(), graph: createGraph(), gantt: createGantt(), duration: createDurations(), code: createCode() };
const viewBox = h('section', { class: 'view', 'data-testid': 'view' });
const panel = createPanel(() => refresh(true));
// Enabled once the DAG has loaded: the trigger form starts from the DAG's params.
const triggerButton = h('button', { class: 'primary', 'data-testid': 'trigger-button', onclick: openTrigger, disabled: true }, 'Trigger');

function start() {
  document.title = `${dagId} · Updraft`;
  app.append(
    header(),
    h(
      'main',
      {},
      h('h1', {}, dagId),
      info,
      status,
      h('div', { class: 'toolbar' }, triggerButton, h('label', {}, pause, ' active (unchecked: paused)')),
      tabs,
      h('div', { class: 'layout' }, viewBox, panel.root),
    ),
  );
  pause.addEventListener('change', async () => {
    try {
      await api(dagPath, { method: 'PATCH', body: { is_paused: !pause.checked } });
    } catch (error) {
      status.textContent = `could not change the paused flag: ${error.message}`;
    }
    await refresh(true);
  });
  showView();
  subscribe((keys) => {
    if (keys.includes('view')) showView();
    if (keys.includes('runsShown') || keys.includes('offset')) void refresh(true);
    else if (keys.some((k) => ['runId', 'taskId', 'collapsed'].includes(k))) renderView();
    if (keys.some((k) => ['runId', 'taskId', 'tryNumber'].includes(k))) void panel.refresh();
  });
  poll(
    () => refresh(false),
    (error) => (status.textContent = `refresh failed: ${error.message}`),
  );
}

function showView() {
  for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.view === state.view));
  fill(viewBox, views[state.view].root);
  views.gantt.reset();
  renderView();
}

/** Draws the open view; views that read more of the API (Gantt, durations, code) fetch with ETags themselves. */
function renderView() {
  if (!state.grid || !state.tasks) return;
  Promise.resolve(views[state.view].render()).catch((error) => (status.textContent = error.message));
}

let refreshing = null;
let forceAgain = false;
/** Asks for the DAG, its grid page and its tasks; redraws only what changed (`force` after an action of ours). */
async function refresh(force) {
  if (refreshing) {
    // A poll in flight may have read before our action: ask again once it lands.
    forceAgain ||= force;
    return refreshing;
  }
  refreshing = (async () => {
    const [dag, grid, tasks] = await Promise.all([apiCached(dagPath), apiCached(gridQuery()), apiCached(`${dagPath}/tasks`)]);
    state.dag = dag.payload;
    triggerButton.disabled = false;
    state.grid = grid.payload;
    state.tasks = tasks.payload.tasks;
    status.textContent = '';
    if (dag.changed) {
      const d = dag.payload;
      pause.checked = !d.is_paused;
      fill(
        info,
        `schedule ${d.schedule ?? 'None'} · owners ${d.owners.join(', ')} · next run ${d.next_dagrun ? `${formatDate(d.next_dagrun)} (data interval ends ${formatDate(d.next_dagrun_create_after)})` : '—'}${d.is_paused ? ' · PAUSED' : ''}`,
      );
    }
    // The Gantt and code views poll their own endpoints: they redraw when those change.
    if (force || grid.changed || tasks.changed || ['gantt', 'code'].includes(state.view)) renderView();
    await panel.refresh();
  })().finally(() => {
    refreshing = null;
    if (forceAgain) {
      forceAgain = false;
      void refresh(true);
    }
  });
  return refreshing;
}

// An unknown DAG gets the 404 page (the server answered this page with 404 too): no Trigger button for nothing.
try {
  await api(dagPath);
  start();
} catch (error) {
  if (error.status === 404) showNotFound(`DAG '${dagId}' not found: it does not exist, or its file is gone from the DAG folder.`);
  else {
    start();
    status.textContent = error.message;
  }
}
