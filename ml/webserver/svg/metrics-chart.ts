import { COLORS, compactNumber, el, svgRoot, text, tooltip } from '../../../engine/plugin-api.ts';

export interface ChartVersion {
  version: number;
  /** ISO time the version was registered: its x position. */
  createdAt: string;
  metrics: Record<string, number>;
}

export interface ChartPeriod {
  version: number;
  startedAt: string;
  /** null while it serves. */
  endedAt: string | null;
}

export interface MetricsChartOptions {
  /** The model, for the title. */
  model: string;
  /** Metrics to draw. @defaultValue those of accuracy, precision, recall, f1, roc_auc the versions have (else any metric within [0, 1]), at most 5 */
  metrics?: string[];
  /** Where an open production period ends. @defaultValue the wall clock */
  now?: Date;
  /** @defaultValue 720 */
  width?: number;
  /** @defaultValue 280 */
  height?: number;
}

const MARGIN = { top: 30, right: 16, bottom: 44, left: 48 };
const PREFERRED = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'];
const LINE_COLORS = ['#0969da', '#8250df', '#bf3989', '#1a7f37', '#9a6700'];

/** Which metrics to draw when the caller does not say: the usual classification scores, else any that stays within [0, 1]. */
export function chartableMetrics(versions: ChartVersion[]): string[] {
  const names = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))];
  const preferred = PREFERRED.filter((m) => names.includes(m));
  if (preferred.length > 0) return preferred;
  return names.filter((m) => versions.every((v) => v.metrics[m] === undefined || (v.metrics[m]! >= 0 && v.metrics[m]! <= 1))).slice(0, 5);
}

/**
 * A model's metrics across its versions, over time: one line (and a point per
 * version, `circle.point`) per metric at each version's registration time,
 * with the production periods shaded behind them (`rect.production-period`,
 * labelled with the version that served). Pure: data in, SVG text out.
 */
export function metricsChart(versions: ChartVersion[], periods: ChartPeriod[], options: MetricsChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 280;
  const now = (options.now ?? new Date()).getTime();
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const metrics = (options.metrics ?? chartableMetrics(versions)).slice(0, LINE_COLORS.length);
  const title = `${options.model}: metrics across versions, production periods shaded`;
  if (versions.length === 0) {
    return svgRoot(
      width,
      60,
      title,
      { class: 'metrics-chart' },
      text({ class: 'empty', x: 8, y: 30, 'font-size': 13 }, 'No versions yet.'),
    );
  }

  const times = [...versions.map((v) => Date.parse(v.createdAt)), ...periods.map((p) => Date.parse(p.startedAt))];
  const start = Math.min(...times);
  const end = Math.max(...times, ...periods.map((p) => (p.endedAt ? Date.parse(p.endedAt) : now)));
  const span = Math.max(end - start, 1);
  // A little room either side so the first and last points are not on the frame.
  const x = (t: number) => MARGIN.left + 8 + ((t - start) / span) * (plotW - 16);
  const values = versions
    .flatMap((v) => metrics.map((m) => v.metrics[m]))
    .filter((n): n is number => typeof n === 'number' && Number.isFinite(n));
  const { low, high, ticks } = yScale(values);
  const y = (value: number) => MARGIN.top + plotH - ((value - low) / (high - low)) * plotH;
  const parts: string[] = [];

  for (const p of periods) {
    const from = x(Date.parse(p.startedAt));
    const to = x(p.endedAt ? Date.parse(p.endedAt) : now);
    parts.push(
      el(
        'g',
        { class: 'production-band', 'data-version': p.version },
        el(
          'rect',
          {
            class: 'production-period',
            'data-version': p.version,
            x: from,
            y: MARGIN.top,
            width: Math.max(to - from, 2),
            height: plotH,
            fill: COLORS.production,
            stroke: '#4ac26b',
            'stroke-opacity': 0.5,
          },
          tooltip(`v${p.version} in production ${p.startedAt} → ${p.endedAt ?? 'now'}`),
        ),
        text({ class: 'period-label', x: from + 3, y: MARGIN.top + 12, 'font-size': 10, fill: '#1a7f37' }, `v${p.version}`),
      ),
    );
  }
  for (const value of ticks) {
    parts.push(
      el('line', {
        class: 'gridline',
        x1: MARGIN.left,
        x2: MARGIN.left + plotW,
        y1: y(value),
        y2: y(value),
        stroke: COLORS.grid,
        'stroke-dasharray': '2 3',
      }),
    );
    parts.push(
      text({ class: 'tick y-tick', x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end', 'font-size': 11 }, compactNumber(value)),
    );
  }
  metrics.forEach((metric, i) => {
    const color = LINE_COLORS[i]!;
    const points = versions
      .filter((v) => typeof v.metrics[metric] === 'number')
      .map((v) => ({ v, px: x(Date.parse(v.createdAt)), py: y(v.metrics[metric]!) }));
    parts.push(
      el('polyline', {
        class: 'metric-line',
        'data-metric': metric,
        points: points.map((p) => `${Math.round(p.px * 100) / 100},${Math.round(p.py * 100) / 100}`).join(' '),
        fill: 'none',
        stroke: color,
        'stroke-width': 2,
      }),
    );
    for (const p of points) {
      parts.push(
        el(
          'circle',
          { class: 'point', 'data-metric': metric, 'data-version': p.v.version, cx: p.px, cy: p.py, r: 3.5, fill: color },
          tooltip(`v${p.v.version} ${metric} ${compactNumber(p.v.metrics[metric]!)}`),
        ),
      );
    }
    parts.push(
      el('rect', { x: MARGIN.left + i * 96, y: 8, width: 10, height: 10, fill: color }),
      text({ class: 'legend-label', x: MARGIN.left + i * 96 + 14, y: 17, 'font-size': 11 }, metric),
    );
  });
  // Version labels under their points (each version once).
  for (const v of versions)
    parts.push(
      text(
        {
          class: 'tick x-tick',
          'data-version': v.version,
          x: x(Date.parse(v.createdAt)),
          y: MARGIN.top + plotH + 14,
          'text-anchor': 'middle',
          'font-size': 10,
        },
        `v${v.version}`,
      ),
    );
  parts.push(
    el('line', {
      class: 'axis x-axis',
      x1: MARGIN.left,
      x2: MARGIN.left + plotW,
      y1: MARGIN.top + plotH,
      y2: MARGIN.top + plotH,
      stroke: COLORS.axis,
    }),
  );
  parts.push(
    el('line', { class: 'axis y-axis', x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + plotH, stroke: COLORS.axis }),
  );
  parts.push(
    text(
      { class: 'axis-title x-title', x: MARGIN.left + plotW / 2, y: height - 8, 'text-anchor': 'middle', 'font-size': 12 },
      `registered ${timeLabel(start, span)} → ${timeLabel(end, span)} UTC`,
    ),
  );
  parts.push(
    text(
      {
        class: 'axis-title y-title',
        x: 12,
        y: MARGIN.top + plotH / 2,
        transform: `rotate(-90 12 ${MARGIN.top + plotH / 2})`,
        'text-anchor': 'middle',
        'font-size': 11,
      },
      'metric',
    ),
  );
  return svgRoot(width, height, title, { class: 'metrics-chart', 'data-model': options.model }, ...parts);
}

/**
 * Scores (all within [0, 1]) get a range from a tenth below the lowest to 1, ticks every
 * 0.1 when that is at most half the unit (so 0.82 vs 0.85 is visible), else every 0.25;
 * other values get their own range in quarters.
 */
export function yScale(values: number[]): { low: number; high: number; ticks: number[] } {
  if (values.length > 0 && values.every((n) => n >= 0 && n <= 1)) {
    const tenthBelow = Math.max(0, Math.round((Math.floor(Math.min(...values) * 10) / 10 - 0.1) * 10) / 10);
    const step = 1 - tenthBelow <= 0.5 ? 0.1 : 0.25;
    const low = step === 0.1 ? tenthBelow : Math.floor(tenthBelow * 4) / 4;
    const ticks = Array.from({ length: Math.round((1 - low) / step) + 1 }, (_, i) => Math.round((low + i * step) * 100) / 100);
    return { low: ticks[0]!, high: 1, ticks };
  }
  const low = Math.min(...values, 0);
  const high = Math.max(...values, low + 1);
  return { low, high, ticks: [0, 0.25, 0.5, 0.75, 1].map((t) => low + t * (high - low)) };
}

/** Minutes for a long chart, seconds for a short one (versions registered minutes apart). */
const timeLabel = (t: number, span: number): string =>
  new Date(t)
    .toISOString()
    .slice(0, span < 3_600_000 ? 19 : 16)
    .replace('T', ' ');
