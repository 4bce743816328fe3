// The model registry: versions with metrics and pinned records, gate decisions with their statistics,
// the production history as a timeline, promote / roll back behind a confirmation.
import { api, fill, formatDate, h, header, poll } from '/static/common.js';
import { metricsChart } from './model-chart.js';

const app = document.getElementById('app');
const status = h('p', { class: 'error', role: 'alert' });
const picker = h('select', { 'data-testid': 'model-picker' });
const content = h('div', { 'data-testid': 'model' });
const confirmText = h('p', { 'data-testid': 'confirm-text' });
const confirmButton = h('button', { class: 'danger', 'data-testid': 'confirm-yes' }, 'Yes, do it');
const confirmDialog = h(
  'dialog',
  { 'data-testid': 'confirm-dialog' },
  h('h2', {}, 'Please confirm'),
  confirmText,
  h(
    'div',
    { class: 'toolbar' },
    confirmButton,
    h('button', { 'data-testid': 'confirm-no', onclick: () => confirmDialog.close() }, 'Cancel'),
  ),
);
app.append(header(), h('main', {}, h('h1', {}, 'Models'), status, h('label', {}, 'Model: ', picker), content), confirmDialog);

/** The version whose pinned record is shown (kept across refreshes). */
let recordVersion = null;

const selected = () => picker.value || new URLSearchParams(location.search).get('name');
picker.addEventListener('change', () => {
  history.replaceState(null, '', `?name=${encodeURIComponent(picker.value)}`);
  void refresh();
});

/** Asks first; production changes are what serves predictions. */
function confirmThen(question, action) {
  confirmText.textContent = question;
  confirmButton.onclick = async () => {
    confirmDialog.close();
    try {
      await action();
      status.textContent = '';
    } catch (error) {
      status.textContent = error.message;
    }
    await refresh();
  };
  confirmDialog.showModal();
}

const pts = (x) => (x === null || x === undefined ? '' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`);
const pValue = (p) => (p === null || p === undefined ? '' : p < 0.001 ? p.toExponential(2) : p.toPrecision(3));

/** Every champion-vs-challenger decision, newest first: accuracy difference (points), its bootstrap interval, McNemar's p-value. */
function gateDecisions(decisions) {
  if (decisions.length === 0) return h('p', { class: 'muted' }, 'No gate decisions yet.');
  return h(
    'table',
    { 'data-testid': 'gate-decisions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Decided', 'Champion', 'Policy', 'Difference (pts)', 'CI', 'p-value', 'Result', 'Reasons'].map((c) => h('th', {}, c)),
      ),
    ),
    h(
      'tbody',
      {},
      [...decisions].reverse().map((d) => {
        const c = d.comparison;
        return h(
          'tr',
          { 'data-decision': d.id },
          h('td', {}, formatDate(d.decided_at)),
          h('td', {}, d.champion_version === null ? 'none' : `v${d.champion_version}`),
          h('td', {}, `${d.policy} (α ${d.alpha})`),
          h('td', { 'data-testid': 'difference' }, c ? pts(c.difference) : ''),
          h('td', { 'data-testid': 'interval' }, c ? `${100 * c.ci_level}% [${pts(c.ci_low)}, ${pts(c.ci_high)}]` : ''),
          h('td', { 'data-testid': 'p-value' }, c ? pValue(c.p_value) : ''),
          h('td', {}, d.passed ? 'passed' : 'rejected'),
          h('td', {}, d.reasons.join('; ')),
        );
      }),
    ),
  );
}

/** One version's pinned record: how it came to be. */
function pinnedRecord(version) {
  const r = version.record;
  if (!r)
    return h(
      'p',
      { class: 'muted', 'data-testid': 'record' },
      `v${version.version} has no pinned record (registered before records existed).`,
    );
  const g = r.gate;
  const rows = [
    ['DAG', r.dag ? `${r.dag.dag_id}, run ${r.dag.run_id}` : 'trained outside a DAG'],
    ['DAG file', r.dag ? `${r.dag.file ?? '?'} (fingerprint ${r.dag.fingerprint ?? '?'})` : ''],
    ['Tracking run', r.tracking_run_id],
    ['Data', `${r.data.uri}`],
    ['Data SHA-256', r.data.sha256],
    ['Rows', `${r.data.n_train} train, ${r.data.n_test} holdout`],
    ['Features', r.feature_schema.features.map((f) => `${f.name}: ${f.type}`).join(', ')],
    ['Target', `${r.feature_schema.target} (${r.feature_schema.classes.join(', ')})`],
    ['Parameters', JSON.stringify(r.params)],
    [
      'Metrics',
      Object.entries(r.metrics)
        .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(4) : v}`)
        .join(', '),
    ],
    [
      'Gate',
      g
        ? `${g.passed ? 'passed' : 'rejected'} (${g.policy})${g.comparison ? `: difference ${pts(g.comparison.difference)} pts, ${100 * g.comparison.ci_level}% CI [${pts(g.comparison.ci_low)}, ${pts(g.comparison.ci_high)}], p ${pValue(g.comparison.p_value)} vs v${g.champion_version}` : g.schema_change ? `, schema changed from v${g.champion_version} (${g.schema_change.differences.join('; ')}): thresholds only` : ', no champion to compare with'}`
        : 'none (registered by hand)',
    ],
    // Decisions recorded before holdouts were kept have none.
    [
      'Gate holdout',
      g?.holdout
        ? `${g.holdout.rows} rows neither model trained on (of ${g.holdout.test_rows} test rows; minimum ${g.holdout.minimum}), fingerprint ${g.holdout.fingerprint.slice(0, 16)}…`
        : '',
    ],
    [
      'Calibrator',
      r.calibrator ? `${r.calibrator.method} on the ${r.calibrator.fitted_on} (${r.calibrator.rows} rows): ${r.calibrator.uri}` : 'none',
    ],
    ['Model', r.model_uri],
  ];
  return h(
    'table',
    { class: 'record', 'data-testid': 'record', 'data-version': version.version },
    h(
      'tbody',
      {},
      rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))),
    ),
  );
}

const PALETTE = ['#0969da', '#8250df', '#bf3989', '#1a7f37', '#9a6700', '#cf222e'];

function timeline(history) {
  if (history.length === 0) return h('p', { class: 'muted' }, 'Never in production.');
  const start = new Date(history[0].started_at).getTime();
  const end = Date.now();
  const span = Math.max(1, end - start);
  return h(
    'div',
    { class: 'timeline', 'data-testid': 'timeline' },
    history.map((p, i) => {
      const from = new Date(p.started_at).getTime();
      const to = p.ended_at ? new Date(p.ended_at).getTime() : end;
      return h(
        'div',
        {
          class: 'period',
          title: `v${p.version}: ${formatDate(p.started_at)} → ${p.ended_at ? formatDate(p.ended_at) : 'now'} (${p.reason})`,
          'data-version': p.version,
          style: {
            left: `${(100 * (from - start)) / span}%`,
            width: `max(2.2rem, ${(100 * (to - from)) / span}%)`,
            background: PALETTE[p.version % PALETTE.length],
            zIndex: String(i),
          },
        },
        `v${p.version}`,
      );
    }),
  );
}

function render(model) {
  const name = model.name;
  const metricNames = [...new Set(model.versions.flatMap((v) => Object.keys(v.metrics)))].slice(0, 6);
  const production = model.versions.find((v) => v.stage === 'Production');
  const shown = model.versions.find((v) => v.version === recordVersion) ?? production ?? model.versions.at(-1);
  fill(
    content,
    h(
      'div',
      { class: 'toolbar' },
      h('span', { 'data-testid': 'production-version' }, production ? `In production: v${production.version}` : 'Nothing in production'),
      h(
        'button',
        {
          class: 'danger',
          'data-testid': 'rollback-button',
          disabled: model.production_history.length < 2,
          onclick: () =>
            confirmThen(`Roll ${name} back to the version that served before v${production?.version}?`, () =>
              api(`/models/${encodeURIComponent(name)}/rollback`, { method: 'POST', body: {} }),
            ),
        },
        'Roll back',
      ),
    ),
    h('h2', {}, 'Metrics across versions'),
    metricsChart(model),
    h('a', { href: `/drift_reports?model=${encodeURIComponent(name)}`, 'data-testid': 'drift-reports-link' }, 'Drift reports →'),
    h('h2', {}, 'Production history'),
    timeline(model.production_history),
    h(
      'table',
      { 'data-testid': 'history' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Version', 'From', 'Until', 'Reason'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        [...model.production_history]
          .reverse()
          .map((p) =>
            h(
              'tr',
              {},
              h('td', {}, `v${p.version}`),
              h('td', {}, formatDate(p.started_at)),
              h('td', {}, p.ended_at ? formatDate(p.ended_at) : 'now'),
              h('td', {}, p.reason),
            ),
          ),
      ),
    ),
    h('h2', {}, 'Versions'),
    h(
      'table',
      { 'data-testid': 'versions' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Version', 'Stage', ...metricNames, 'Registered', ''].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        [...model.versions].reverse().map((v) =>
          h(
            'tr',
            { 'data-version': v.version },
            h('td', {}, `v${v.version}`),
            h('td', { 'data-testid': `stage-${v.version}` }, v.stage),
            metricNames.map((m) => h('td', {}, typeof v.metrics[m] === 'number' ? v.metrics[m].toFixed(4) : '')),
            h('td', {}, formatDate(v.created_at)),
            h(
              'td',
              {},
              h(
                'button',
                {
                  'data-testid': `record-${v.version}`,
                  onclick: () => {
                    recordVersion = v.version;
                    render(model);
                  },
                },
                'Record',
              ),
              v.stage === 'Production'
                ? ''
                : h(
                    'button',
                    {
                      'data-testid': `promote-${v.version}`,
                      onclick: () =>
                        confirmThen(`Promote ${name} v${v.version} to production?`, () =>
                          api(`/models/${encodeURIComponent(name)}/versions/${v.version}/promote`, { method: 'POST', body: {} }),
                        ),
                    },
                    'Promote',
                  ),
            ),
          ),
        ),
      ),
    ),
    h('h2', {}, 'Gate decisions'),
    gateDecisions(model.gate_decisions ?? []),
    shown ? [h('h2', {}, `Pinned record of v${shown.version}`), pinnedRecord(shown)] : [],
  );
}

async function refresh() {
  const { models } = await api('/models');
  const wanted = selected();
  fill(
    picker,
    models.map((m) => h('option', { value: m.name, selected: m.name === wanted }, m.name)),
  );
  if (models.length === 0) {
    fill(
      content,
      h('p', { class: 'muted' }, 'No registered models yet: run the retraining pipeline (npm run demo) or `updraft models train`.'),
    );
    return;
  }
  render(await api(`/models/${encodeURIComponent(picker.value)}`));
}

poll(refresh, (error) => (status.textContent = `refresh failed: ${error.message}`));
