import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvTable } from '../../ml/data/csv-table.ts';
import { driftReportView, histogramFromTables, parseHistogram, reportForStorage } from '../../ml/reports/drift-report-view.ts';
import { histogramChart, niceCeiling } from '../../ml/webserver/svg/histogram-chart.ts';
import { metricsChart, yScale } from '../../ml/webserver/svg/metrics-chart.ts';

const count = (svg: string, pattern: RegExp) => (svg.match(new RegExp(pattern.source, 'g')) ?? []).length;
const texts = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);

describe('histogram chart (server-rendered SVG)', () => {
  it('numeric: both histograms overlaid on the same bins, heights as shares, edge ticks and axis titles', () => {
    const svg = histogramChart(
      { kind: 'numeric', edges: [0, 10, 20, 30, 40], reference: [10, 20, 30, 40], current: [2, 2, 4, 2] },
      { column: 'tenure_months' },
    );
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(count(svg, /<rect class="bar reference"/), 4);
    assert.equal(count(svg, /<rect class="bar current"/), 4);
    assert.deepEqual(texts(svg, 'tick x-tick'), ['0', '20', '40']);
    assert.deepEqual(texts(svg, 'tick y-tick'), ['0%', '25%', '50%'], 'the largest share (current bin 3: 40%) rounds up to a readable top');
    assert.deepEqual(texts(svg, 'axis-title x-title'), ['tenure_months']);
    assert.deepEqual(texts(svg, 'axis-title y-title'), ['share of rows']);
    // Overlaid: a bin's two bars share x, their heights are each sample's share.
    const bar = (series: string, bin: number) =>
      svg.match(
        new RegExp(`<rect class="bar ${series}" data-bin="${bin}" x="([\\d.]+)" y="([\\d.]+)" width="[\\d.]+" height="([\\d.]+)"`),
      )!;
    assert.equal(bar('reference', 2)[1], bar('current', 2)[1]);
    assert.ok(Number(bar('current', 2)[3]) > Number(bar('reference', 2)[3]), 'current 40% over reference 30% in bin 2');
  });

  it('categorical: two bars per category side by side, category labels; names are escaped', () => {
    const svg = histogramChart(
      { kind: 'categorical', categories: ['monthly', '<b>yearly</b>'], reference: [5, 5], current: [9, 1] },
      { column: 'plan & "tier"' },
    );
    assert.equal(count(svg, /<rect class="bar reference"/), 2);
    assert.equal(count(svg, /<rect class="bar current"/), 2);
    assert.deepEqual(texts(svg, 'tick x-tick'), ['monthly', '&lt;b&gt;yearly…']);
    assert.ok(!svg.includes('<b>'), 'user data never becomes markup');
    assert.match(svg, /data-column="plan &amp; &quot;tier&quot;"/);
    const x = (series: string) => Number(svg.match(new RegExp(`<rect class="bar ${series}" data-bin="0" x="([\\d.]+)"`))![1]);
    assert.ok(x('current') > x('reference'));
  });

  it('a histogram whose counts do not match its bins is an error naming the column', () => {
    assert.throws(
      () => histogramChart({ kind: 'numeric', edges: [0, 1], reference: [1, 2], current: [1] }, { column: 'age' }),
      /column 'age': histogram has 1 bins but 2 reference and 1 current counts/,
    );
    assert.deepEqual([0.07, 0.4, 0.3, 1].map(niceCeiling), [0.1, 0.5, 0.5, 1]);
  });
});

describe('metrics chart (server-rendered SVG)', () => {
  const versions = [
    { version: 1, createdAt: '2026-06-01T00:00:00Z', metrics: { accuracy: 0.8, f1: 0.78, train_seconds: 12 } },
    { version: 2, createdAt: '2026-06-02T00:00:00Z', metrics: { accuracy: 0.86, f1: 0.84, train_seconds: 14 } },
    { version: 3, createdAt: '2026-06-03T00:00:00Z', metrics: { accuracy: 0.83, f1: 0.8, train_seconds: 9 } },
  ];
  const periods = [
    { version: 1, startedAt: '2026-06-01T00:01:00Z', endedAt: '2026-06-02T00:01:00Z' },
    { version: 2, startedAt: '2026-06-02T00:01:00Z', endedAt: null },
  ];

  it('a line with a point per version for each score, the production periods shaded and labelled', () => {
    const svg = metricsChart(versions, periods, { model: 'churn', now: new Date('2026-06-04T00:00:00Z') });
    assert.deepEqual(
      [...svg.matchAll(/<polyline class="metric-line" data-metric="(\w+)"/g)].map((m) => m[1]),
      ['accuracy', 'f1'],
      'scores only: train_seconds is not a score',
    );
    assert.equal(count(svg, /<circle class="point"/), 6);
    assert.deepEqual(
      [...svg.matchAll(/<rect class="production-period" data-version="(\d+)"/g)].map((m) => m[1]),
      ['1', '2'],
    );
    assert.deepEqual(texts(svg, 'period-label'), ['v1', 'v2']);
    assert.deepEqual(texts(svg, 'tick x-tick'), ['v1', 'v2', 'v3']);
    assert.deepEqual(
      texts(svg, 'tick y-tick'),
      ['0.6', '0.7', '0.8', '0.9', '1'],
      'scores from 0.78: the axis starts a tenth below, in tenths',
    );
    assert.match(texts(svg, 'axis-title x-title')[0]!, /^registered 2026-06-01 00:00 → 2026-06-04 00:00 UTC$/);
    // v2's open period reaches the right edge (now); v3 sits inside it, after v2.
    const band = svg.match(/<rect class="production-period" data-version="2" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/)!;
    const point3 = Number(svg.match(/<circle class="point" data-metric="accuracy" data-version="3" cx="([\d.]+)"/)![1]);
    assert.ok(point3 > Number(band[1]) && point3 < Number(band[1]) + Number(band[2]));
  });

  it('y scale: scores spread widely in quarters from 0; other values on their own range', () => {
    assert.deepEqual(yScale([0.3, 0.9]).ticks, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(yScale([0.05, 0.9]).ticks, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(yScale([12, 40]), { low: 0, high: 40, ticks: [0, 10, 20, 30, 40] });
  });

  it('no versions: a note instead of axes', () => {
    assert.match(metricsChart([], [], { model: 'x' }), /No versions yet\./);
  });
});

describe('drift report view', () => {
  const reference = CsvTable.parse('age,plan\n20,a\n30,a\n40,b\n50,b\n', 'ref.csv');
  const current = CsvTable.parse('age,plan\n60,a\n70,c\n', 'cur.csv');

  it('histograms from the tables: equal-width bins over both samples, categories most frequent first', () => {
    const age = histogramFromTables(reference, current, 'age', 5)!;
    assert.deepEqual(age, { kind: 'numeric', edges: [20, 30, 40, 50, 60, 70], reference: [1, 1, 1, 1, 0], current: [0, 0, 0, 0, 2] });
    assert.deepEqual(histogramFromTables(reference, current, 'plan'), {
      kind: 'categorical',
      categories: ['a', 'b', 'c'],
      reference: [2, 2, 0],
      current: [1, 0, 1],
    });
    assert.equal(histogramFromTables(reference, current, 'nope'), null);
  });

  it('reads old reports and new ones; a malformed histogram counts as missing', () => {
    const old = driftReportView({
      drift: true,
      alpha: 0.05,
      correction: 'bh',
      columns: [{ column: 'age', test: 'ks', statistic: 0.5, p_value: 0.001, p_value_adjusted: 0.002, drifted: true, psi: 1.2 }],
    });
    assert.deepEqual(
      [old.method, old.threshold, old.share, old.drifted_share, old.columns[0]!.histogram, old.columns[0]!.distance],
      ['ks/chi2, bh corrected', 0.05, null, 1, null, null],
    );
    const fresh = driftReportView({
      drift: false,
      method: 'psi',
      threshold: 0.2,
      share: 0,
      columns: [
        {
          column: 'age',
          method: 'psi',
          statistic: 0.1,
          distance: 0.1,
          threshold: 0.2,
          drifted: false,
          histogram: { kind: 'numeric', edges: [0, 1], reference: [3], current: [4] },
        },
        {
          column: 'plan',
          method: 'psi',
          statistic: 0.1,
          distance: 0.1,
          drifted: false,
          histogram: { kind: 'categorical', categories: ['a'], reference: [1, 2], current: [1, 2] },
        },
      ],
    });
    assert.deepEqual(
      fresh.columns.map((c) => [c.test, c.distance, c.threshold, c.histogram?.kind ?? null]),
      [
        ['psi', 0.1, 0.2, 'numeric'],
        ['psi', 0.1, 0.2, null],
      ],
    );
    // The rule's share (`share`) is not the drifted share: none of two columns drifted under a 50 % rule.
    const calm = driftReportView({ drift: false, method: 'psi', share: 0.5, drifted_share: 0, columns: fresh.columns });
    assert.deepEqual([calm.share, calm.drifted_columns, calm.drifted_share], [0.5, 0, 0]);
    assert.equal(parseHistogram({ kind: 'numeric', edges: [0, 1, 2], reference: [1], current: [1] }), null);
    assert.deepEqual(driftReportView('garbage').columns, []);
  });

  it('for storage: histograms the report lacks are computed from its data sets, which it names', async () => {
    const stored = await reportForStorage(
      { drift: true, columns: [{ column: 'age' }, { column: 'plan' }] },
      { reference: 'ref.csv', current: 'cur.csv' },
      async (source) => (source === 'ref.csv' ? reference : current),
    );
    assert.deepEqual(stored.sources, { reference: 'ref.csv', current: 'cur.csv' });
    assert.deepEqual(
      stored.columns.map((c) => (c as { histogram?: { kind: string } }).histogram?.kind),
      ['numeric', 'categorical'],
    );
  });
});
