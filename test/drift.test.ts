import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chiSquareTwoSample } from '../ml/stats/chi-square.ts';
import { adjustPValues } from '../ml/stats/multiple-testing.ts';
import { ks2samp } from '../ml/stats/ks-two-sample.ts';
import { chi2Sf } from '../ml/stats/gamma.ts';
import { cliJson, runCli, tempDir } from './helpers/cli.ts';

/** Seeded Park-Miller generator; the seed was fixed before the first run, never tuned. */
function generator(seed: number) {
  let s = seed;
  const u = () => {
    s = (16807 * s) % 2147483647;
    return s / 2147483647;
  };
  return {
    normal: (mean = 0, sd = 1) => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
    category: () => {
      const r = u();
      return r < 0.5 ? 'basic' : r < 0.8 ? 'pro' : 'team';
    },
  };
}

describe('drift statistics', () => {
  it('chi-square matches scipy.stats.chi2_contingency (with Yates for 2x2) and chi2.sf', () => {
    const rep = (pairs: Array<[string, number]>) => pairs.flatMap(([c, n]) => Array<string>(n).fill(c));
    const r3 = chiSquareTwoSample(
      rep([
        ['a', 30],
        ['b', 50],
        ['c', 20],
      ]),
      rep([
        ['a', 25],
        ['b', 40],
        ['c', 45],
      ]),
    );
    assert.ok(Math.abs(r3.statistic - 10.729179910998093) < 1e-12);
    assert.ok(Math.abs(r3.pValue - 0.00467937860068816) / 0.00467937860068816 < 1e-9);
    const r2 = chiSquareTwoSample(
      rep([
        ['a', 30],
        ['b', 70],
      ]),
      rep([
        ['a', 45],
        ['b', 55],
      ]),
    );
    assert.ok(Math.abs(r2.pValue - 0.04087153408900628) / 0.04087153408900628 < 1e-9);
    for (const [x, k, expected] of [
      [3.5, 1, 0.0613688291394023],
      [40.2, 7, 1.1525614394046168e-6],
      [250, 20, 1.1423093523163684e-41],
    ] as const) {
      assert.ok(Math.abs(chi2Sf(x, k) - expected) / expected < 1e-9, `chi2.sf(${x}, ${k})`);
    }
  });

  it('Bonferroni and Benjamini-Hochberg adjusted p-values (statsmodels multipletests)', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    assert.deepEqual(adjustPValues(p, 'bonferroni'), [0.04, 0.16, 0.12, 0.02]);
    assert.deepEqual(
      adjustPValues(p, 'bh').map((x) => +x.toFixed(10)),
      [0.02, 0.04, 0.04, 0.02],
    );
    assert.deepEqual(adjustPValues(p, 'none'), p);
  });

  it('the dataset-level verdict on 200 undrifted 20-column pairs: false drift rate consistent with <= 5% under the default correction; uncorrected it fires most of the time', () => {
    const g = generator(2026);
    const n = 300;
    let corrected = 0;
    let uncorrected = 0;
    for (let pair = 0; pair < 200; pair++) {
      const p: number[] = [];
      for (let c = 0; c < 15; c++)
        p.push(
          ks2samp(
            Array.from({ length: n }, () => g.normal()),
            Array.from({ length: n }, () => g.normal()),
          ).pValue,
        );
      for (let c = 0; c < 5; c++)
        p.push(chiSquareTwoSample(Array.from({ length: n }, g.category), Array.from({ length: n }, g.category)).pValue);
      if (adjustPValues(p, 'bh').some((x) => x < 0.05)) corrected++;
      if (p.some((x) => x < 0.05)) uncorrected++;
    }
    // The correction holds the family-wise rate at alpha (expected 4.9% for 20 independent
    // columns); 200 pairs measure it to +-1.5 points, so the bound allows the 95% sampling margin.
    const margin = 1.96 * Math.sqrt((0.05 * 0.95) / 200);
    assert.ok(corrected / 200 <= 0.05 + margin, `corrected false-drift rate ${corrected / 200}`);
    assert.ok(uncorrected / 200 > 0.4, `uncorrected rate ${uncorrected / 200}`);
  });
});

describe('updraft drift', () => {
  const dir = tempDir();
  /** age and income numeric, plan three categories, kids 0-3 (numeric, few values), member yes/no. */
  const write = (name: string, rows: number, incomeShift: number, seed: number, kidsShift = 0): string => {
    const g = generator(seed);
    const lines = ['age,income,plan,kids,member'];
    for (let i = 0; i < rows; i++) {
      const kids = Math.min(3, Math.max(0, Math.round(g.normal(1.2 + kidsShift, 1))));
      lines.push(
        `${g.normal(40, 10).toFixed(3)},${g.normal(50_000 + incomeShift, 8000).toFixed(2)},${g.category()},${kids},${g.normal() > 0.3 ? 'yes' : 'no'}`,
      );
    }
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    return join(dir, name);
  };
  const reference = write('reference.csv', 600, 0, 11);
  const drifted = write('drifted.csv', 600, 6000, 12);
  const same = write('same.csv', 600, 0, 13);
  const bigReference = write('big-reference.csv', 3000, 0, 14);
  const bigDrifted = write('big-drifted.csv', 2000, 6000, 15, 0.8);

  type Histogram =
    | { kind: 'numeric'; edges: number[]; reference: number[]; current: number[] }
    | { kind: 'categorical'; categories: string[]; reference: number[]; current: number[] };
  type Column = {
    column: string;
    test: string;
    statistic: number;
    p_value: number | null;
    drifted: boolean;
    p_value_adjusted: number | null;
    distance: number | null;
    threshold: number;
    psi: number;
    n_reference: number;
    n_current: number;
    histogram: Histogram;
  };
  type Report = {
    drift: boolean;
    alpha: number;
    correction: string;
    method: string;
    threshold: number | null;
    share: number;
    drifted_share: number;
    columns: Column[];
  };
  const byName = (r: Report) => Object.fromEntries(r.columns.map((c) => [c.column, c]));

  it('auto with <= 1000 reference rows: KS, chi-square, and the z-test for a binary column; the shifted column is named; one of five is below the default share', async () => {
    const report = await cliJson<Report>(['drift', reference, drifted]);
    assert.deepEqual(Object.keys(report), ['drift', 'alpha', 'correction', 'method', 'threshold', 'share', 'drifted_share', 'columns']);
    assert.deepEqual([report.method, report.threshold, report.share, report.alpha, report.correction], ['auto', 0.05, 0.5, 0.05, 'bh']);
    const c = byName(report);
    assert.deepEqual(Object.fromEntries(report.columns.map((x) => [x.column, x.test])), {
      age: 'ks',
      income: 'ks',
      plan: 'chi2',
      kids: 'chi2',
      member: 'z',
    });
    assert.equal(c.income!.drifted, true);
    assert.deepEqual(
      report.columns.filter((x) => x.drifted).map((x) => x.column),
      ['income'],
    );
    assert.equal(report.drifted_share, 0.2);
    assert.equal(report.drift, false, 'one column of five is below share 0.5');
    for (const x of report.columns) {
      assert.deepEqual(Object.keys(x), [
        'column',
        'test',
        'statistic',
        'p_value',
        'drifted',
        'p_value_adjusted',
        'distance',
        'threshold',
        'psi',
        'n_reference',
        'n_current',
        'histogram',
      ]);
      assert.equal(x.distance, null);
      assert.equal(x.drifted, x.p_value_adjusted! < 0.05);
    }
    const lower = await cliJson<Report>(['drift', reference, drifted, '--share', '0.2']);
    assert.equal(lower.drift, true, 'share 0.2: one drifted column of five is enough');
  });

  it('auto with > 1000 reference rows: normed Wasserstein for numeric columns, Jensen-Shannon for categorical ones (threshold 0.1)', async () => {
    const report = await cliJson<Report>(['drift', bigReference, bigDrifted]);
    const c = byName(report);
    assert.deepEqual(Object.fromEntries(report.columns.map((x) => [x.column, x.test])), {
      age: 'wasserstein',
      income: 'wasserstein',
      plan: 'jensenshannon',
      kids: 'jensenshannon',
      member: 'jensenshannon',
    });
    assert.equal(report.threshold, 0.1);
    for (const x of report.columns) {
      assert.equal(x.p_value, null);
      assert.equal(x.p_value_adjusted, null);
      assert.equal(x.statistic, x.distance);
      assert.equal(x.drifted, x.distance! >= 0.1);
    }
    // income moved by 0.75 reference standard deviations, kids by 0.8 of its sd; age and plan did not move.
    assert.ok(c.income!.distance! > 0.5 && c.income!.drifted, `income ${c.income!.distance}`);
    assert.ok(c.kids!.drifted, `kids ${c.kids!.distance}`);
    assert.ok(c.age!.distance! < 0.1 && c.plan!.distance! < 0.1);
    assert.equal(report.drifted_share, 0.4);
    assert.equal(report.drift, false);
    const strict = await cliJson<Report>(['drift', bigReference, bigDrifted, '--threshold', '0.5']);
    assert.deepEqual(
      strict.columns.filter((x) => x.drifted).map((x) => x.column),
      ['income'],
      'a higher distance threshold keeps only the big shift',
    );
  });

  it('per-column histograms: shared numeric edges with counts, categories with counts', async () => {
    const report = await cliJson<Report>(['drift', bigReference, bigDrifted]);
    const c = byName(report);
    const income = c.income!.histogram;
    assert.equal(income.kind, 'numeric');
    if (income.kind !== 'numeric') return;
    assert.ok(income.edges.length - 1 >= 10 && income.edges.length - 1 <= 20, `${income.edges.length - 1} bins`);
    assert.equal(income.reference.length, income.edges.length - 1);
    assert.ok(income.edges.every((e, i) => i === 0 || e > income.edges[i - 1]!));
    assert.equal(
      income.reference.reduce((a, b) => a + b, 0),
      3000,
    );
    assert.equal(
      income.current.reduce((a, b) => a + b, 0),
      2000,
    );
    const plan = c.plan!.histogram;
    assert.deepEqual(plan.kind === 'categorical' && plan.categories, ['basic', 'pro', 'team']);
    assert.equal(
      plan.reference.reduce((a, b) => a + b, 0),
      3000,
    );
    const kids = c.kids!.histogram;
    assert.deepEqual(
      kids.kind === 'categorical' && kids.categories,
      ['0', '1', '2', '3'],
      'a numeric column with few values is drawn as categories, in numeric order',
    );
  });

  it('forced methods: wasserstein, psi, chi2 and ks where they apply; a method that does not apply to a column is a one-line error', async () => {
    const w = await cliJson<Report>(['drift', reference, drifted, '--method', 'wasserstein', '--columns', 'age,income']);
    assert.deepEqual(
      w.columns.map((x) => x.test),
      ['wasserstein', 'wasserstein'],
    );
    assert.equal(w.method, 'wasserstein');
    const psi = await cliJson<Report>(['drift', reference, drifted, '--method', 'psi']);
    assert.ok(psi.columns.every((x) => x.test === 'psi' && x.distance === x.psi && x.threshold === 0.1));
    const chi = await cliJson<Report>(['drift', reference, drifted, '--method', 'chi2', '--columns', 'plan,member']);
    assert.deepEqual(
      chi.columns.map((x) => x.test),
      ['chi2', 'chi2'],
    );
    const js = await cliJson<Report>(['drift', reference, drifted, '--method', 'jensenshannon']);
    assert.ok(js.columns.every((x) => x.test === 'jensenshannon'));
    const ks = await runCli(['drift', reference, drifted, '--method', 'ks']);
    assert.equal(ks.code, 1);
    assert.match(ks.stderr, /reference\.csv: column 'plan' is not numeric; method 'ks' compares numeric columns only/);
    assert.equal(ks.stderr.trim().split('\n').length, 1, ks.stderr);
    const chiNumeric = await runCli(['drift', reference, drifted, '--method', 'chi2', '--columns', 'income']);
    assert.match(
      chiNumeric.stderr,
      /column 'income' is numeric with more than 5 distinct values; method 'chi2' compares categorical columns only/,
    );
  });

  it('no drift on a sample from the same distribution; exit 0 either way; --columns limits the comparison', async () => {
    const r = await runCli(['drift', reference, same, '--output', 'json']);
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as Report).drift, false);
    const table = await runCli(['drift', reference, drifted, '--share', '0.2']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /Drift detected in income \(1 of 5 columns drifted, share 0\.20 >= 0\.2; method auto, bh correction\)/);
    const only = await cliJson<Report>(['drift', reference, drifted, '--columns', 'age', '--correction', 'bonferroni']);
    assert.deepEqual(
      only.columns.map((c) => c.column),
      ['age'],
    );
  });

  it('bad input: one line naming the file and column, exit 1', async () => {
    const bad = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const header = 'age,income,plan,kids,member';
    const cases: Array<[string, RegExp]> = [
      [bad('nan.csv', `${header}\n30,NaN,basic,1,yes\n`), /nan\.csv: column 'income' row 2: 'NaN' is not a finite number/],
      [bad('text.csv', `${header}\n30,lots,basic,1,yes\n`), /text\.csv: column 'income' row 2: 'lots' is not a finite number/],
      [bad('missing.csv', 'age,plan,kids,member\n30,basic,1,yes\n'), /missing\.csv: missing column 'income'/],
      [bad('extra.csv', `${header},zip\n30,1,basic,1,yes,9\n`), /extra\.csv: extra column 'zip'/],
      [bad('empty.csv', ''), /empty\.csv: file is empty/],
      [bad('ragged.csv', `${header}\n30,1\n`), /ragged\.csv: not a valid CSV file/],
      [join(dir, 'nope.csv'), /nope\.csv: no such file/],
    ];
    for (const [file, pattern] of cases) {
      const r = await runCli(['drift', reference, file]);
      assert.equal(r.code, 1, file);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const options: Array<[string[], RegExp]> = [
      [['--alpha', '2'], /--alpha must be above 0 and below 1, got '2'/],
      [['--threshold', '-1'], /--threshold must be a positive number, got '-1'/],
      [['--threshold', 'x'], /--threshold must be a positive number, got 'x'/],
      [['--share', '0'], /--share must be above 0 and at most 1, got '0'/],
      [['--share', '1.5'], /--share must be above 0 and at most 1, got '1\.5'/],
      [['--threshold', '0.1', '--alpha', '0.1'], /give --threshold or --alpha, not both/],
      [
        ['--threshold', '2'],
        /drift threshold 2 is no significance level \(it must be below 1\), and column 'age' gets the p-value test 'ks'/,
      ],
      [['--method', 'anova'], /--method.*'anova' is invalid/],
    ];
    for (const [args, pattern] of options) {
      const r = await runCli(['drift', reference, same, ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
