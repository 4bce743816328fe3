import { COLORS, compactNumber, el, percent, svgRoot, text, tooltip } from '../../../engine/plugin-api.ts';

/** A numeric column's histogram: `edges` has one more entry than each count array. */
export interface NumericHistogram {
  kind: 'numeric';
  edges: number[];
  reference: number[];
  current: number[];
}

/** A categorical column's counts per category. */
export interface CategoricalHistogram {
  kind: 'categorical';
  categories: string[];
  reference: number[];
  current: number[];
}

export type ColumnHistogram = NumericHistogram | CategoricalHistogram;

export interface HistogramChartOptions {
  /** The column, shown as the x-axis title. */
  column: string;
  /** @defaultValue 480 */
  width?: number;
  /** @defaultValue 240 */
  height?: number;
}

const MARGIN = { top: 28, right: 12, bottom: 48, left: 52 };

/** Counts to shares of their total, so a reference of 10,000 rows and a current of 500 compare. */
const shares = (counts: number[]): number[] => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
};

/**
 * The reference and current distributions of one column as SVG: for a numeric
 * column both histograms overlaid on the same bins, for a categorical one the
 * two bars of each category side by side. Heights are shares of each sample.
 * Every bar is a `rect.bar.reference` / `rect.bar.current`; the axes carry
 * tick labels and titles. A pure function: data in, SVG text out.
 */
export function histogramChart(histogram: ColumnHistogram, options: HistogramChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 240;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const bins = histogram.kind === 'numeric' ? histogram.edges.length - 1 : histogram.categories.length;
  if (bins < 1 || histogram.reference.length !== bins || histogram.current.length !== bins) {
    throw new RangeError(
      `column '${options.column}': histogram has ${bins} bins but ${histogram.reference.length} reference and ${histogram.current.length} current counts`,
    );
  }
  const ref = shares(histogram.reference);
  const cur = shares(histogram.current);
  const top = niceCeiling(Math.max(...ref, ...cur, 0.01));
  const y = (share: number) => MARGIN.top + plotH - (share / top) * plotH;
  const slot = plotW / bins;
  const parts: string[] = [];

  // Grid and y axis: 0, half, top.
  for (const tick of [0, top / 2, top]) {
    parts.push(el('line', { class: 'gridline', x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y(tick), y2: y(tick), stroke: COLORS.grid }));
    parts.push(text({ class: 'tick y-tick', x: MARGIN.left - 6, y: y(tick) + 4, 'text-anchor': 'end', 'font-size': 11 }, percent(tick)));
  }
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
      'share of rows',
    ),
  );

  const bar = (series: 'reference' | 'current', i: number, x: number, w: number, share: number, label: string) =>
    el(
      'rect',
      {
        class: `bar ${series}`,
        'data-bin': i,
        x,
        y: y(share),
        width: Math.max(w, 0.5),
        height: MARGIN.top + plotH - y(share),
        fill: COLORS[series],
        'fill-opacity': histogram.kind === 'numeric' ? 0.45 : 0.8,
      },
      tooltip(`${series} ${label}: ${percent(share)}`),
    );

  if (histogram.kind === 'numeric') {
    const { edges } = histogram;
    for (let i = 0; i < bins; i++) {
      const label = `[${compactNumber(edges[i]!)}, ${compactNumber(edges[i + 1]!)})`;
      parts.push(
        bar('reference', i, MARGIN.left + i * slot, slot - 1, ref[i]!, label),
        bar('current', i, MARGIN.left + i * slot, slot - 1, cur[i]!, label),
      );
    }
    // First, middle and last edge: enough to read the range without crowding.
    for (const i of [...new Set([0, Math.round(bins / 2), bins])]) {
      parts.push(
        text(
          { class: 'tick x-tick', x: MARGIN.left + i * slot, y: MARGIN.top + plotH + 16, 'text-anchor': 'middle', 'font-size': 11 },
          compactNumber(edges[i]!),
        ),
      );
    }
  } else {
    for (let i = 0; i < bins; i++) {
      const label = histogram.categories[i]!;
      const w = (slot - 4) / 2;
      parts.push(
        bar('reference', i, MARGIN.left + i * slot + 2, w, ref[i]!, label),
        bar('current', i, MARGIN.left + i * slot + 2 + w, w, cur[i]!, label),
      );
      const short = label.length > 10 ? `${label.slice(0, 9)}…` : label;
      if (bins <= 16 || i % Math.ceil(bins / 16) === 0) {
        parts.push(
          text(
            {
              class: 'tick x-tick',
              x: MARGIN.left + (i + 0.5) * slot,
              y: MARGIN.top + plotH + 16,
              'text-anchor': 'middle',
              'font-size': 11,
            },
            short,
          ),
        );
      }
    }
  }
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
      options.column,
    ),
  );
  parts.push(legend(MARGIN.left, 14));
  return svgRoot(
    width,
    height,
    `${options.column}: reference and current distributions`,
    { class: 'histogram-chart', 'data-kind': histogram.kind, 'data-column': options.column },
    ...parts,
  );
}

function legend(x: number, y: number): string {
  return el(
    'g',
    { class: 'legend' },
    el('rect', { x, y: y - 9, width: 10, height: 10, fill: COLORS.reference, 'fill-opacity': 0.6 }),
    text({ x: x + 14, y, 'font-size': 11 }, 'reference'),
    el('rect', { x: x + 84, y: y - 9, width: 10, height: 10, fill: COLORS.current, 'fill-opacity': 0.6 }),
    text({ x: x + 98, y, 'font-size': 11 }, 'current'),
  );
}

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `value`: a y-axis top that reads well. */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value - 1e-12) return step * power;
  return 10 * power;
}
