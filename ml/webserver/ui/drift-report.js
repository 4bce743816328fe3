// Drift reports of a model: the list, and one report with, per column, the reference and current
// distributions (server-rendered SVG), the test, its statistic, p-value or distance, threshold and verdict.
import { api, fill, formatDate, h, header } from '/static/common.js';
import { inlineSvg } from '/static/inline-svg.js';

const app = document.getElementById('app');
const status = h('p', { class: 'error', role: 'alert' });
const picker = h('select', { 'data-testid': 'model-picker' });
const list = h('div', { 'data-testid': 'drift-report-list' });
const report = h('div', { 'data-testid': 'drift-report' });
app.append(header(), h('main', {}, h('h1', {}, 'Drift reports'), status, h('label', {}, 'Model: ', picker), list, report));

const query = () => new URLSearchParams(location.search);
const fmt = (n, digits = 4) =>
  typeof n === 'number' ? (Math.abs(n) !== 0 && Math.abs(n) < 1e-3 ? n.toExponential(2) : n.toFixed(digits)) : '—';
const verdict = (drifted) =>
  h('span', { class: `verdict ${drifted ? 'drifted' : 'stable'}`, 'data-testid': 'verdict' }, drifted ? 'drift' : 'no drift');
const reportHref = (model, r) =>
  `/drift_reports?model=${encodeURIComponent(model)}&dag_id=${encodeURIComponent(r.dag_id)}&run_id=${encodeURIComponent(r.dag_run_id)}`;

/** The measured share first; the rule's share (`share`, Evidently's drift_share) only as the rule it is. */
function driftedShare(r) {
  const percent = (share) => `${Math.round(100 * share)} %`;
  const measured =
    r.drifted_share === null
      ? ''
      : ` (${percent(r.drifted_share)}${r.share === null ? '' : `; the rule flags dataset drift at ≥ ${percent(r.share)}`})`;
  return `${r.drifted_columns} of ${r.columns.length} columns drifted${measured}`;
}

function columnCard(c) {
  const score =
    c.p_value !== null
      ? [
          h('dt', {}, 'p-value'),
          h('dd', {}, fmt(c.p_value)),
          ...(c.p_value_adjusted !== null ? [h('dt', {}, 'adjusted p'), h('dd', {}, fmt(c.p_value_adjusted))] : []),
        ]
      : [h('dt', {}, 'distance'), h('dd', {}, fmt(c.distance))];
  return h(
    'section',
    { class: 'panel column-card', 'data-column': c.column, 'data-testid': 'drift-column' },
    h('h3', {}, c.column, ' ', verdict(c.drifted)),
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'test'),
      h('dd', {}, c.test),
      h('dt', {}, 'statistic'),
      h('dd', {}, fmt(c.statistic)),
      ...score,
      h('dt', {}, 'threshold'),
      h('dd', {}, fmt(c.threshold, 3)),
    ),
    c.svg ? inlineSvg(c.svg) : h('p', { class: 'muted', 'data-testid': 'no-histogram' }, 'no histogram stored'),
  );
}

async function showReport(model, dagId, runId) {
  const r = await api(`/models/${encodeURIComponent(model)}/drift_reports/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}`);
  fill(
    report,
    h('h2', {}, `${r.dag_id} · ${r.dag_run_id}`),
    h(
      'dl',
      { class: 'kv summary', 'data-testid': 'drift-summary' },
      h('dt', {}, 'verdict'),
      h('dd', {}, verdict(r.drift)),
      h('dt', {}, 'method'),
      h('dd', {}, r.method ?? '—'),
      h('dt', {}, 'threshold'),
      h('dd', {}, fmt(r.threshold, 3)),
      h('dt', {}, 'columns'),
      h('dd', { 'data-testid': 'drifted-share' }, driftedShare(r)),
      h('dt', {}, 'written'),
      h('dd', {}, formatDate(r.created_at)),
      h('dt', {}, 'artifact'),
      h('dd', {}, r.artifact_uri),
    ),
    h('div', { class: 'column-grid' }, r.columns.map(columnCard)),
  );
}

async function load() {
  const { models } = await api('/models');
  const wanted = query().get('model') ?? models[0]?.name;
  fill(
    picker,
    models.map((m) => h('option', { value: m.name, selected: m.name === wanted }, m.name)),
  );
  if (!wanted) {
    fill(list, h('p', { class: 'muted' }, 'No registered models yet.'));
    return;
  }
  const { drift_reports: reports } = await api(`/models/${encodeURIComponent(wanted)}/drift_reports`);
  if (reports.length === 0) {
    fill(
      list,
      h('p', { class: 'muted' }, `No drift reports for ${wanted} yet: they are written by check_drift in ml_retraining_pipeline.`),
    );
    fill(report);
    return;
  }
  const dagId = query().get('dag_id') ?? reports[0].dag_id;
  const runId = query().get('run_id') ?? reports[0].dag_run_id;
  fill(
    list,
    h(
      'table',
      { 'data-testid': 'drift-reports' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Written', 'DAG', 'Run', 'Verdict', 'Columns drifted'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        reports.map((r) =>
          h(
            'tr',
            { class: r.dag_id === dagId && r.dag_run_id === runId ? 'selected' : undefined },
            h('td', {}, formatDate(r.created_at)),
            h('td', {}, r.dag_id),
            h('td', {}, h('a', { href: reportHref(wanted, r) }, r.dag_run_id)),
            h('td', {}, verdict(r.drift)),
            h('td', {}, `${r.drifted_columns} of ${r.columns}`),
          ),
        ),
      ),
    ),
  );
  await showReport(wanted, dagId, runId);
}

picker.addEventListener('change', () => {
  history.replaceState(null, '', `?model=${encodeURIComponent(picker.value)}`);
  load().catch((error) => (status.textContent = error.message));
});
load().catch((error) => (status.textContent = error.message));
