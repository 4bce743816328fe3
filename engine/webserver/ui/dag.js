// One DAG: grid view (runs x tasks), graph view, the task try panel, trigger with conf, pause.
import { api, colorOf, fill, formatDate, h, header, poll, statePill } from './common.js';

const dagId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
const path = `/dags/${encodeURIComponent(dagId)}`;
const app = document.getElementById('app');

const state = { view: 'grid', grid: null, tasks: null, dag: null, selected: null, graphRun: null, tryShown: null };

const title = h('h1', {}, dagId);
const info = h('div', { class: 'muted' });
const status = h('p', { class: 'error', role: 'alert' });
const pause = h('input', { type: 'checkbox', class: 'switch', 'data-testid': 'pause-toggle' });
const triggerButton = h('button', { class: 'primary', 'data-testid': 'trigger-button', onclick: () => openTrigger() }, 'Trigger');
const tabs = h('div', { class: 'tabs' },
  ['grid', 'graph'].map((v) => h('button', { 'data-view': v, 'data-testid': `view-${v}`, onclick: () => showView(v) }, v === 'grid' ? 'Grid' : 'Graph')));
const view = h('div', { 'data-testid': 'view' });
const panel = h('div', { class: 'panel', 'data-testid': 'task-panel' }, h('p', { class: 'muted' }, 'Click a cell in the grid (or a task in the graph) to see its tries and logs.'));

const confText = h('textarea', { 'data-testid': 'conf-editor', spellcheck: 'false' });
const confError = h('p', { class: 'error', 'data-testid': 'conf-error' });
const dialog = h('dialog', { 'data-testid': 'trigger-dialog' },
  h('h2', {}, `Trigger ${dagId}`),
  h('label', {}, 'Run conf (a JSON object; it overrides the DAG params):'),
  confText, confError,
  h('div', { class: 'toolbar' },
    h('button', { class: 'primary', 'data-testid': 'trigger-submit', onclick: () => submitTrigger() }, 'Trigger'),
    h('button', { onclick: () => dialog.close() }, 'Cancel')));

const clearText = h('p', { 'data-testid': 'clear-text' });
const clearDownstream = h('input', { type: 'checkbox', 'data-testid': 'clear-downstream' });
const clearError = h('p', { class: 'error' });
const clearDialog = h('dialog', { 'data-testid': 'clear-dialog' },
  h('h2', {}, 'Clear'), clearText,
  h('label', {}, clearDownstream, ' and everything downstream'), clearError,
  h('div', { class: 'toolbar' },
    h('button', { class: 'danger', 'data-testid': 'clear-confirm', onclick: () => submitClear() }, 'Clear'),
    h('button', { onclick: () => clearDialog.close() }, 'Cancel')));

app.append(header(), h('main', {},
  title, info, status,
  h('div', { class: 'toolbar' }, triggerButton, h('label', {}, pause, ' active (unchecked: paused)')),
  tabs,
  h('div', { class: 'layout' }, view, panel)),
  dialog, clearDialog);

pause.addEventListener('change', async () => {
  try {
    await api(path, { method: 'PATCH', body: { is_paused: !pause.checked } });
  } catch (error) {
    status.textContent = `could not change the paused flag: ${error.message}`;
  }
  await refresh();
});

function openTrigger() {
  confText.value = JSON.stringify(state.dag?.params ?? {}, null, 2);
  confError.textContent = '';
  dialog.showModal();
}

async function submitTrigger() {
  let conf;
  try {
    conf = JSON.parse(confText.value || '{}');
  } catch (error) {
    confError.textContent = `not valid JSON: ${error.message}`;
    return;
  }
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) {
    confError.textContent = 'the conf must be a JSON object, like {"key": "value"}';
    return;
  }
  try {
    const run = await api(`${path}/dagRuns`, { method: 'POST', body: { conf } });
    dialog.close();
    state.graphRun = run.run_id;
    await refresh();
  } catch (error) {
    confError.textContent = error.message;
  }
}

function openClear() {
  const sel = state.selected;
  clearText.textContent = `Run ${sel.taskId} of ${sel.runId} again, as a new try? Its earlier tries and logs are kept.`;
  clearDownstream.checked = false;
  clearError.textContent = '';
  clearDialog.showModal();
}

async function submitClear() {
  const sel = state.selected;
  try {
    await api(`${path}/clearTaskInstances`, { method: 'POST', body: { dag_run_id: sel.runId, task_ids: [sel.taskId], include_downstream: clearDownstream.checked } });
    clearDialog.close();
    state.tryShown = null;
    await refresh();
  } catch (error) {
    clearError.textContent = error.message;
  }
}

function showView(name) {
  state.view = name;
  for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.view === name));
  render();
}

function select(runId, taskId) {
  state.selected = { runId, taskId };
  state.tryShown = null;
  render();
  void refreshPanel();
}

function renderGrid() {
  const { dag_runs: runs, task_ids: taskIds, task_instances: cells } = state.grid;
  if (runs.length === 0) return h('p', { class: 'muted' }, 'No runs yet: press Trigger.');
  return h('table', { class: 'grid', 'data-testid': 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}), runs.map((r) => h('th', { class: 'run', title: `${r.run_id} (${r.state})` }, formatDate(r.logical_date).slice(5, 16))))),
    h('tbody', {},
      h('tr', {}, h('th', { class: 'task muted' }, 'run'), runs.map((r) => h('td', {}, h('span', { class: 'cell', title: `${r.run_id}: ${r.state}`, 'data-testid': `run-${r.run_id}`, 'data-state': r.state, style: { background: colorOf(r.state), borderRadius: '50%' } })))),
      taskIds.map((taskId) => h('tr', {},
        h('th', { class: 'task' }, taskId),
        runs.map((r) => {
          const ti = cells[r.run_id]?.[taskId];
          const selected = state.selected?.runId === r.run_id && state.selected?.taskId === taskId;
          return h('td', {}, h('span', {
            class: `cell${selected ? ' selected' : ''}`,
            title: `${taskId} in ${r.run_id}: ${ti?.state ?? 'none'}${ti && ti.try_number > 1 ? ` (try ${ti.try_number})` : ''}`,
            'data-testid': `cell-${r.run_id}-${taskId}`,
            'data-state': ti?.state ?? 'none',
            'data-try': ti?.try_number ?? 0,
            style: { background: colorOf(ti?.state) },
            onclick: () => select(r.run_id, taskId),
          }));
        })))));
}

/** Tasks laid out by topological generation (columns), edges as curves, nodes coloured by one run's states. */
function renderGraph() {
  const tasks = state.tasks;
  const runs = state.grid.dag_runs;
  const runId = state.graphRun ?? runs.at(-1)?.run_id ?? null;
  const states = (runId && state.grid.task_instances[runId]) || {};
  const generation = new Map();
  for (const t of tasks) generation.set(t.task_id, Math.max(-1, ...t.upstream_task_ids.map((u) => generation.get(u) ?? 0)) + 1);
  const columns = [];
  for (const t of tasks) (columns[generation.get(t.task_id)] ??= []).push(t.task_id);
  const W = 170, H = 34, GX = 60, GY = 18;
  const at = new Map();
  columns.forEach((ids, x) => ids.forEach((id, y) => at.set(id, { x: 10 + x * (W + GX), y: 10 + y * (H + GY) })));
  const width = 20 + columns.length * (W + GX);
  const height = 20 + Math.max(1, ...columns.map((c) => c.length)) * (H + GY);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, ...children) => {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    el.append(...children);
    return el;
  };
  const edges = tasks.flatMap((t) => t.downstream_task_ids.map((d) => {
    const a = at.get(t.task_id), b = at.get(d);
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
    return svg('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 6},${y2}`, fill: 'none', stroke: '#8c959f', 'stroke-width': 1.5, 'marker-end': 'url(#arrow)', 'data-edge': `${t.task_id}->${d}` });
  }));
  const nodes = tasks.map((t) => {
    const p = at.get(t.task_id);
    const s = states[t.task_id]?.state ?? 'none';
    const node = svg('g', { transform: `translate(${p.x},${p.y})`, 'data-testid': `node-${t.task_id}`, 'data-state': s, style: 'cursor:pointer' },
      svg('rect', { width: W, height: H, rx: 6, fill: 'white', stroke: colorOf(s) === 'white' ? '#8c959f' : colorOf(s), 'stroke-width': 3 }),
      svg('text', { x: 10, y: 21 }, t.task_id),
      svg('title', {}, `${t.task_id} (${t.operator}, ${t.trigger_rule}): ${s}`));
    node.addEventListener('click', () => runId && select(runId, t.task_id));
    return node;
  });
  const picker = h('select', { 'data-testid': 'graph-run', onchange: (e) => { state.graphRun = e.target.value; render(); } },
    [...runs].reverse().map((r) => h('option', { value: r.run_id, selected: r.run_id === runId }, `${r.run_id} (${r.state})`)));
  return h('div', {},
    runs.length > 0 ? h('label', {}, 'Run: ', picker) : h('p', { class: 'muted' }, 'No runs yet: nodes show no state.'),
    svg('svg', { class: 'graph', width, height, 'data-testid': 'graph' },
      svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 5, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8c959f' }))),
      ...edges, ...nodes));
}

function render() {
  if (!state.grid || !state.tasks) return;
  fill(view, state.view === 'grid' ? renderGrid() : renderGraph());
}

/** The task try panel: one tab per try, its state, times, worker, error and log. */
async function refreshPanel() {
  const sel = state.selected;
  if (!sel) return;
  const base = `${path}/dagRuns/${encodeURIComponent(sel.runId)}/taskInstances/${encodeURIComponent(sel.taskId)}`;
  let tries;
  try {
    tries = (await api(`${base}/tries`)).task_instances;
  } catch (error) {
    fill(panel, h('h2', {}, sel.taskId), h('p', { class: 'muted' }, error.status === 404 ? 'No try yet.' : error.message));
    return;
  }
  const shown = tries.find((t) => t.try_number === state.tryShown) ?? tries.at(-1);
  const log = await api(`${base}/logs/${shown.try_number}`);
  if (state.selected !== sel) return;
  fill(panel,
    h('h2', {}, sel.taskId),
    h('div', { class: 'muted' }, sel.runId),
    h('div', { class: 'toolbar' }, h('button', { 'data-testid': 'clear-button', onclick: () => openClear() }, 'Clear (run again)')),
    h('div', { class: 'tabs' }, tries.map((t) => h('button', {
      'aria-selected': String(t.try_number === shown.try_number), 'data-testid': `try-${t.try_number}`,
      onclick: () => { state.tryShown = t.try_number; void refreshPanel(); },
    }, `Try ${t.try_number}`))),
    h('dl', { class: 'kv', 'data-testid': 'try-details' },
      h('dt', {}, 'state'), h('dd', {}, statePill(shown.state)),
      h('dt', {}, 'try'), h('dd', {}, String(shown.try_number)),
      h('dt', {}, 'operator'), h('dd', {}, shown.operator),
      h('dt', {}, 'started'), h('dd', {}, formatDate(shown.start_date)),
      h('dt', {}, 'ended'), h('dd', {}, formatDate(shown.end_date)),
      h('dt', {}, 'duration'), h('dd', {}, shown.duration_s === null ? '' : `${shown.duration_s} s`),
      h('dt', {}, 'worker'), h('dd', {}, shown.worker_id ?? ''),
      h('dt', {}, 'error'), h('dd', { class: 'error' }, shown.error ?? '')),
    h('h2', {}, 'Log'),
    h('pre', { class: 'log', 'data-testid': 'task-log' }, log.content || '(no log lines yet)'));
}

async function refresh() {
  // Tasks too: an edited DAG file changes them while the page is open.
  const [dag, grid, tasks] = await Promise.all([api(path), api(`${path}/grid?limit=25`), api(`${path}/tasks`)]);
  state.dag = dag;
  state.grid = grid;
  state.tasks = tasks.tasks;
  pause.checked = !dag.is_paused;
  fill(info, `schedule ${dag.schedule ?? 'None'} · owners ${dag.owners.join(', ')} · next run ${dag.next_dagrun ? `${formatDate(dag.next_dagrun)} (data interval ends ${formatDate(dag.next_dagrun_create_after)})` : '—'}${dag.is_paused ? ' · PAUSED' : ''}`);
  status.textContent = '';
  render();
  await refreshPanel();
}

showView('grid');
poll(refresh, (error) => (status.textContent = error.status === 404 ? `DAG '${dagId}' not found` : `refresh failed: ${error.message}`));
