// The model page's chart of metrics across versions, production periods shaded (drawn by the server as SVG).
import { h } from '/static/common.js';
import { inlineSvg } from '/static/inline-svg.js';

const cache = new Map();

/**
 * A container holding the chart of `model`; fetched again only when the
 * versions or the production history changed (the page refreshes every 1.5 s).
 */
export function metricsChart(model) {
  const key = `${model.versions.length}:${model.production_history.length}:${model.production_history.at(-1)?.started_at ?? ''}`;
  let entry = cache.get(model.name);
  if (!entry) {
    entry = { key: null, box: h('div', { class: 'chart', 'data-testid': 'metrics-chart' }) };
    cache.set(model.name, entry);
  }
  if (entry.key !== key) {
    entry.key = key;
    fetch(`/api/v1/models/${encodeURIComponent(model.name)}/metrics_chart`)
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((svg) => entry.box.replaceChildren(inlineSvg(svg)))
      .catch((error) => entry.box.replaceChildren(h('p', { class: 'error' }, `metrics chart: ${error.message}`)));
  }
  return entry.box;
}
