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
  const u = () => (s = (16807 * s) % 2147483647) / 2147483647;
  return {
    normal: (mean = 0, sd = 1) => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
    category: () => { const r = u(); return r < 0.5 ? 'basic' : r < 0.8 ? 'pro' : 'team'; },
  };
}

describe('drift statistics', () => {
  it('chi-square matches scipy.stats.chi2_contingency (with Yates for 2x2) and chi2.sf', () => {
    const rep = (pairs: Array<[string, number]>) => pairs.flatMap(([c, n]) => Array<string>(n).fill(c));
    const r3 = chiSquareTwoSample(rep([['a', 30], ['b', 50], ['c', 20]]), rep([['a', 25], ['b', 40], ['c', 45]]));
    assert.ok(Math.abs(r3.statistic - 10.729179910998093) < 1e-12);
    assert.ok(Math.abs(r3.pValue - 0.00467937860068816) / 0.00467937860068816 < 1e-9);
    const r2 = chiSquareTwoSample(rep([['a', 30], ['b', 70]]), rep([['a', 45], ['b', 55]]));
    assert.ok(Math.abs(r2.pValue - 0.04087153408900628) / 0.04087153408900628 < 1e-9);
    for (const [x, k, expected] of [[3.5, 1, 0.0613688291394023], [40.2, 7, 1.1525614394046168e-6], [250, 20, 1.1423093523163684e-41]] as const) {
      assert.ok(Math.abs(chi2Sf(x, k) - expected) / expected < 1e-9, `chi2.sf(${x}, ${k})`);
    }
  });

  it('Bonferroni and Benjamini-Hochberg adjusted p-values (statsmodels multipletests)', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    assert.deepEqual(adjustPValues(p, 'bonferroni'), [0.04, 0.16, 0.12, 0.02]);
    assert.deepEqual(adjustPValues(p, 'bh').map((x) => +x.toFixed(10)), [0.02, 0.04, 0.04, 0.02]);
    assert.deepEqual(adjustPValues(p, 'none'), p);
  });

  it('the dataset-level verdict on 200 undrifted 20-column pairs: false drift rate consistent with <= 5% under the default correction; uncorrected it fires most of the time', () => {
    const g = generator(2026);
    const n = 300;
    let corrected = 0;
    let uncorrected = 0;
    for (let pair = 0; pair < 200; pair++) {
      const p: number[] = [];
      for (let c = 0; c < 15; c++) p.push(ks2samp(Array.from({ length: n }, () => g.normal()), Array.from({ length: n }, () => g.normal())).pValue);
      for (let c = 0; c < 5; c++) p.push(chiSquareTwoSample(Array.from({ length: n }, g.category), Array.from({ length: n }, g.category)).pValue);
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
  const write = (name: string, rows: number, incomeShift: number, seed: number): string => {
    const g = generator(seed);
    const lines = ['age,income,plan'];
    for (let i = 0; i < rows; i++) lines.push(`${g.normal(40, 10).toFixed(3)},${g.normal(50_000 + incomeShift, 8000).toFixed(2)},${g.category()}`);
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    return join(dir, name);
  };
  const reference = write('reference.csv', 600, 0, 11);
  const drifted = write('drifted.csv', 600, 6000, 12);
  const same = write('same.csv', 600, 0, 13);

  type Report = { drift: boolean; columns: Array<{ column: string; test: string; statistic: number; p_value: number; drifted: boolean }> };

  it('catches a shifted column and names it; json has the documented shape', async () => {
    const report = await cliJson<Report>(['drift', reference, drifted]);
    assert.equal(report.drift, true);
    const income = report.columns.find((c) => c.column === 'income')!;
    assert.equal(income.test, 'ks');
    assert.equal(income.drifted, true);
    assert.equal(report.columns.find((c) => c.column === 'plan')!.test, 'chi2');
    for (const c of report.columns) assert.deepEqual(Object.keys(c).slice(0, 5), ['column', 'test', 'statistic', 'p_value', 'drifted']);
  });

  it('no drift on a sample from the same distribution; exit 0 either way; --columns limits the comparison', async () => {
    const r = await runCli(['drift', reference, same, '--output', 'json']);
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as Report).drift, false);
    const only = await cliJson<Report>(['drift', reference, drifted, '--columns', 'age', '--correction', 'bonferroni']);
    assert.deepEqual(only.columns.map((c) => c.column), ['age']);
  });

  it('bad input: one line naming the file and column, exit 1', async () => {
    const bad = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    const cases: Array<[string, RegExp]> = [
      [bad('nan.csv', 'age,income,plan\n30,NaN,basic\n'), /nan\.csv: column 'income' row 2: 'NaN' is not a finite number/],
      [bad('text.csv', 'age,income,plan\n30,lots,basic\n'), /text\.csv: column 'income' row 2: 'lots' is not a finite number/],
      [bad('missing.csv', 'age,plan\n30,basic\n'), /missing\.csv: missing column 'income'/],
      [bad('extra.csv', 'age,income,plan,zip\n30,1,basic,9\n'), /extra\.csv: extra column 'zip'/],
      [bad('empty.csv', ''), /empty\.csv: file is empty/],
      [bad('ragged.csv', 'age,income,plan\n30,1\n'), /ragged\.csv: not a valid CSV file/],
      [join(dir, 'nope.csv'), /nope\.csv: no such file/],
    ];
    for (const [file, pattern] of cases) {
      const r = await runCli(['drift', reference, file]);
      assert.equal(r.code, 1, file);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const alpha = await runCli(['drift', reference, same, '--alpha', '2']);
    assert.match(alpha.stderr, /--alpha must be between 0 and 1/);
  });
});
