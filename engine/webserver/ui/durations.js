// Airflow's "Task Duration": how long each task's current try ran, run after run. A 1,000-task DAG would be a
// hairball, so the chart draws the slowest tasks (by mean) and the selected one; the table lists every task.
import { apiCached, fill, formatDate, formatDuration, h } from './common.js';
import { dagPath, state } from './dag-state.js';

const LINES = 10;
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#000000'];
const W = 900,
  H = 320,
  PAD = { l: 60, r: 20, t: 16, b: 40 };
const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...children) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
};

const mean = (values) => {
  const known = values.filter((v) => v !== null);
  return known.length === 0 ? 0 : known.reduce((a, b) => a + b, 0) / known.length;
};

export function createDurations() {
  const chart = h('div', { 'data-testid': 'duration-chart' });
  const root = h(
    'div',
    { class: 'duration-view' },
    h(
      'p',
      { class: 'muted' },
      `Duration of each task's current try per run (the ${LINES} slowest tasks on average, and the selected task).`,
    ),
    chart,
  );

  async function render() {
    const { payload } = await apiCached(`${dagPath}/taskDurations?limit=${state.runsShown}&offset=${state.offset}`);
    const runs = payload.dag_runs;
    if (runs.length === 0) return fill(chart, h('p', { class: 'muted' }, 'No runs yet.'));
    const ranked = Object.entries(payload.durations).sort((a, b) => mean(b[1]) - mean(a[1]));
    const picked = ranked.slice(0, LINES);
    if (state.taskId && !picked.some(([id]) => id === state.taskId) && payload.durations[state.taskId])
      picked.push([state.taskId, payload.durations[state.taskId]]);
    const top = Math.max(1, ...picked.flatMap(([, v]) => v.filter((x) => x !== null)));
    const x = (i) => PAD.l + (runs.length === 1 ? (W - PAD.l - PAD.r) / 2 : (i / (runs.length - 1)) * (W - PAD.l - PAD.r));
    const y = (s) => H - PAD.b - (s / top) * (H - PAD.t - PAD.b);
    const axis = [0, 0.5, 1].map((f) =>
      svg(
        'g',
        {},
        svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y(top * f), y2: y(top * f), class: 'gridline' }),
        svg('text', { x: PAD.l - 6, y: y(top * f) + 4, 'text-anchor': 'end' }, formatDuration(top * f) || '0 s'),
      ),
    );
    const labels = runs
      .map((r, i) =>
        i % Math.ceil(runs.length / 8) === 0
          ? svg('text', { x: x(i), y: H - PAD.b + 16, 'text-anchor': 'middle' }, formatDate(r.logical_date).slice(5, 16))
          : null,
      )
      .filter(Boolean);
    const lines = picked.map(([taskId, values], n) => {
      const color = PALETTE[n % PALETTE.length];
      const points = values.map((v, i) => (v === null ? null : [x(i), y(v), v, runs[i]])).filter(Boolean);
      const d = points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px},${py}`).join(' ');
      return svg(
        'g',
        { 'data-testid': `duration-line-${taskId}`, class: state.taskId === taskId ? 'selected' : '' },
        svg('path', { d, fill: 'none', stroke: color, 'stroke-width': state.taskId === taskId ? 3 : 1.5 }),
        ...points.map(([px, py, v, r]) =>
          svg('circle', { cx: px, cy: py, r: 3, fill: color }, svg('title', {}, `${taskId} in ${r.run_id}: ${formatDuration(v)}`)),
        ),
      );
    });
    fill(
      chart,
      svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'duration-chart' }, ...axis, ...labels, ...lines),
      h(
        'div',
        { class: 'legend' },
        picked.map(([taskId], n) =>
          h(
            'span',
            {},
            h('span', { class: 'state', style: { background: PALETTE[n % PALETTE.length] } }),
            ` ${taskId} (mean ${formatDuration(mean(payload.durations[taskId]))})`,
          ),
        ),
      ),
    );
  }

  return { root, render };
}
