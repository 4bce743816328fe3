// The model registry: versions with metrics, the production history as a timeline, promote / roll back behind a confirmation.
import { api, fill, formatDate, h, header, poll } from './common.js';
import { metricsChart } from './model-chart.js';

const app = document.getElementById('app');
const status = h('p', { class: 'error', role: 'alert' });
const picker = h('select', { 'data-testid': 'model-picker' });
const content = h('div', { 'data-testid': 'model' });
const confirmText = h('p', { 'data-testid': 'confirm-text' });
const confirmButton = h('button', { class: 'danger', 'data-testid': 'confirm-yes' }, 'Yes, do it');
const confirmDialog = h('dialog', { 'data-testid': 'confirm-dialog' },
  h('h2', {}, 'Please confirm'), confirmText,
  h('div', { class: 'toolbar' }, confirmButton, h('button', { 'data-testid': 'confirm-no', onclick: () => confirmDialog.close() }, 'Cancel')));
app.append(header(), h('main', {}, h('h1', {}, 'Models'), status, h('label', {}, 'Model: ', picker), content), confirmDialog);

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

const PALETTE = ['#0969da', '#8250df', '#bf3989', '#1a7f37', '#9a6700', '#cf222e'];

function timeline(history) {
  if (history.length === 0) return h('p', { class: 'muted' }, 'Never in production.');
  const start = new Date(history[0].started_at).getTime();
  const end = Date.now();
  const span = Math.max(1, end - start);
  return h('div', { class: 'timeline', 'data-testid': 'timeline' }, history.map((p, i) => {
    const from = new Date(p.started_at).getTime();
    const to = p.ended_at ? new Date(p.ended_at).getTime() : end;
    return h('div', {
      class: 'period', title: `v${p.version}: ${formatDate(p.started_at)} → ${p.ended_at ? formatDate(p.ended_at) : 'now'} (${p.reason})`,
      'data-version': p.version,
      style: { left: `${(100 * (from - start)) / span}%`, width: `max(2.2rem, ${(100 * (to - from)) / span}%)`, background: PALETTE[p.version % PALETTE.length], zIndex: String(i) },
    }, `v${p.version}`);
  }));
}

function render(model) {
  const name = model.name;
  const metricNames = [...new Set(model.versions.flatMap((v) => Object.keys(v.metrics)))].slice(0, 6);
  const production = model.versions.find((v) => v.stage === 'Production');
  fill(content,
    h('div', { class: 'toolbar' },
      h('span', { 'data-testid': 'production-version' }, production ? `In production: v${production.version}` : 'Nothing in production'),
      h('button', {
        class: 'danger', 'data-testid': 'rollback-button', disabled: model.production_history.length < 2,
        onclick: () => confirmThen(`Roll ${name} back to the version that served before v${production?.version}?`, () => api(`/models/${encodeURIComponent(name)}/rollback`, { method: 'POST', body: {} })),
      }, 'Roll back')),
    h('h2', {}, 'Metrics across versions'), metricsChart(model),
    h('a', { href: `/drift_reports?model=${encodeURIComponent(name)}`, 'data-testid': 'drift-reports-link' }, 'Drift reports →'),
    h('h2', {}, 'Production history'),
    timeline(model.production_history),
    h('table', { 'data-testid': 'history' },
      h('thead', {}, h('tr', {}, ['Version', 'From', 'Until', 'Reason'].map((c) => h('th', {}, c)))),
      h('tbody', {}, [...model.production_history].reverse().map((p) => h('tr', {}, h('td', {}, `v${p.version}`), h('td', {}, formatDate(p.started_at)), h('td', {}, p.ended_at ? formatDate(p.ended_at) : 'now'), h('td', {}, p.reason))))),
    h('h2', {}, 'Versions'),
    h('table', { 'data-testid': 'versions' },
      h('thead', {}, h('tr', {}, ['Version', 'Stage', ...metricNames, 'Registered', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, [...model.versions].reverse().map((v) => h('tr', { 'data-version': v.version },
        h('td', {}, `v${v.version}`),
        h('td', { 'data-testid': `stage-${v.version}` }, v.stage),
        metricNames.map((m) => h('td', {}, typeof v.metrics[m] === 'number' ? v.metrics[m].toFixed(4) : '')),
        h('td', {}, formatDate(v.created_at)),
        h('td', {}, v.stage === 'Production' ? '' : h('button', {
          'data-testid': `promote-${v.version}`,
          onclick: () => confirmThen(`Promote ${name} v${v.version} to production?`, () => api(`/models/${encodeURIComponent(name)}/versions/${v.version}/promote`, { method: 'POST', body: {} })),
        }, 'Promote')))))));
}

async function refresh() {
  const { models } = await api('/models');
  const wanted = selected();
  fill(picker, models.map((m) => h('option', { value: m.name, selected: m.name === wanted }, m.name)));
  if (models.length === 0) {
    fill(content, h('p', { class: 'muted' }, 'No registered models yet: run the retraining pipeline (npm run demo) or `updraft models train`.'));
    return;
  }
  render(await api(`/models/${encodeURIComponent(picker.value)}`));
}

poll(refresh, (error) => (status.textContent = `refresh failed: ${error.message}`));
