// The graph view: tasks laid out by dagre, pan (drag) and zoom (wheel, buttons), fit to screen,
// nodes coloured by the selected run's states, edges of branches not followed drawn faded.
import dagre from '/vendor/dagre.esm.js';
import { colorOf, fill, h, legend } from './common.js';
import { currentRunId, state, update } from './dag-state.js';

const NODE_W = 190;
const NODE_H = 36;
const NS = 'http://www.w3.org/2000/svg';
/** Below this scale labels are no longer legible: the first view of a big DAG starts here instead of fitting it all. */
const READABLE_SCALE = 0.75;

const svg = (tag, attrs = {}, ...children) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
};

/** dagre's layout of the tasks, left to right; cached per task set (it is the costly part). */
let cached = { key: '', layout: null };
function layoutOf(tasks) {
  const key = tasks.map((t) => `${t.task_id}>${t.downstream_task_ids.join(',')}`).join(';');
  if (cached.key === key) return cached.layout;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 60, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const t of tasks) g.setNode(t.task_id, { width: NODE_W, height: NODE_H });
  for (const t of tasks) for (const d of t.downstream_task_ids) g.setEdge(t.task_id, d);
  dagre.layout(g);
  const layout = {
    nodes: new Map(g.nodes().map((id) => [id, g.node(id)])),
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points })),
    width: g.graph().width,
    height: g.graph().height,
  };
  cached = { key, layout };
  return layout;
}

/** An edge was not followed when its upstream finished and the branch skipped what it leads to. */
const notFollowed = (fromState, toState) => toState === 'skipped' && ['success', 'skipped'].includes(fromState);

export function createGraph() {
  const view = { x: 0, y: 0, k: 1, fitted: false };
  const canvas = svg('g', { 'data-testid': 'graph-canvas' });
  const box = svg(
    'svg',
    { class: 'graph', 'data-testid': 'graph' },
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8c959f' }),
      ),
    ),
    canvas,
  );
  const picker = h('select', { 'data-testid': 'graph-run', onchange: (e) => update({ runId: e.target.value, tryNumber: null }) });
  const zoom = (factor) => zoomAt(box.clientWidth / 2, box.clientHeight / 2, factor);
  const root = h(
    'div',
    { class: 'graph-view' },
    h(
      'div',
      { class: 'toolbar' },
      h('label', {}, 'Run: ', picker),
      h('button', { 'data-testid': 'graph-fit', onclick: () => fit(true) }, 'Fit'),
      h('button', { 'data-testid': 'graph-zoom-in', onclick: () => zoom(1.25) }, '+'),
      h('button', { 'data-testid': 'graph-zoom-out', onclick: () => zoom(0.8) }, '−'),
    ),
    legend(),
    h('div', { class: 'graph-box' }, box),
  );

  const apply = () => canvas.setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.k})`);
  function zoomAt(px, py, factor) {
    const k = Math.min(3, Math.max(0.05, view.k * factor));
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    apply();
  }
  /** The whole DAG in view; the first time, a big DAG starts readable at its top left instead. */
  function fit(all) {
    const layout = cached.layout;
    if (!layout || box.clientWidth === 0) return;
    const k = Math.min(1.5, box.clientWidth / layout.width, box.clientHeight / layout.height);
    view.k = all || k >= READABLE_SCALE ? k : READABLE_SCALE;
    view.x = view.k === k ? (box.clientWidth - layout.width * k) / 2 : 0;
    view.y = view.k === k ? (box.clientHeight - layout.height * k) / 2 : 0;
    view.fitted = true;
    apply();
  }

  box.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = box.getBoundingClientRect();
      zoomAt(e.clientX - r.left, e.clientY - r.top, e.deltaY < 0 ? 1.1 : 1 / 1.1);
    },
    { passive: false },
  );
  let drag = null;
  box.addEventListener('pointerdown', (e) => {
    if (e.target.closest('[data-node]')) return;
    drag = { x: e.clientX - view.x, y: e.clientY - view.y };
    box.setPointerCapture(e.pointerId);
  });
  box.addEventListener('pointermove', (e) => {
    if (!drag) return;
    view.x = e.clientX - drag.x;
    view.y = e.clientY - drag.y;
    apply();
  });
  box.addEventListener('pointerup', () => (drag = null));
  box.addEventListener('click', (e) => {
    const node = e.target.closest('[data-node]');
    const runId = currentRunId();
    if (node && runId) update({ runId, taskId: node.dataset.node, tryNumber: null });
  });

  function render() {
    const tasks = state.tasks;
    const runs = state.grid?.dag_runs ?? [];
    if (!tasks) return;
    const runId = currentRunId();
    const column = state.grid?.task_ids.reduce((m, id, i) => m.set(id, i), new Map()) ?? new Map();
    const cells = (runId && state.grid.task_instances[runId]) || [];
    const stateOf = (taskId) => cells[column.get(taskId)]?.[0] ?? 'none';
    fill(
      picker,
      runs.length === 0
        ? h('option', {}, 'no runs yet')
        : [...runs].reverse().map((r) => h('option', { value: r.run_id, selected: r.run_id === runId }, `${r.run_id} (${r.state})`)),
    );
    const layout = layoutOf(tasks);
    const edges = layout.edges.map((e) => {
      const faded = notFollowed(stateOf(e.from), stateOf(e.to));
      const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
      return svg('path', {
        d,
        class: faded ? 'edge not-followed' : 'edge',
        'marker-end': 'url(#arrow)',
        'data-edge': `${e.from}->${e.to}`,
        'data-followed': String(!faded),
      });
    });
    const nodes = tasks.map((t) => {
      const p = layout.nodes.get(t.task_id);
      const s = stateOf(t.task_id);
      const selected = state.taskId === t.task_id;
      const label = t.task_id.length > 26 ? `…${t.task_id.slice(-25)}` : t.task_id;
      return svg(
        'g',
        {
          transform: `translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})`,
          class: `node${selected ? ' selected' : ''}`,
          'data-node': t.task_id,
          'data-testid': `node-${t.task_id}`,
          'data-state': s,
        },
        svg('rect', {
          width: NODE_W,
          height: NODE_H,
          rx: 6,
          fill: 'white',
          stroke: colorOf(s) === 'white' ? '#8c959f' : colorOf(s),
          'stroke-width': selected ? 4 : 3,
        }),
        svg('rect', { x: 0, y: 0, width: 8, height: NODE_H, rx: 3, fill: colorOf(s) }),
        svg('text', { x: 14, y: 15 }, label),
        svg('text', { x: 14, y: 29, class: 'sub' }, `${t.operator} · ${s}`),
        svg('title', {}, `${t.task_id} (${t.operator}, ${t.trigger_rule}): ${s}`),
      );
    });
    canvas.replaceChildren(...edges, ...nodes);
    if (!view.fitted) requestAnimationFrame(() => fit(false));
  }

  return { root, render };
}
