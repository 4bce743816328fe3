import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ks2samp } from '../../ml/stats/ks-two-sample.ts';
import { sample } from '../fixtures/scipy/samples.ts';

const close = (actual: number, expected: number, what: string): void => {
  const tolerance = 1e-9 * Math.abs(expected) + 1e-300;
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs scipy ${expected} (rel ${Math.abs(actual - expected) / Math.abs(expected)})`,
  );
};

const lin = (a: number, b: number, n: number): number[] => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

describe('two-sample Kolmogorov-Smirnov against scipy.stats.ks_2samp', () => {
  it("scipy's own test vector: linspace(1,100,100) vs linspace(1,100,110)+20.1", () => {
    const r = ks2samp(
      lin(1, 100, 100),
      lin(1, 100, 110).map((v) => v + 20.1),
    );
    close(r.statistic, 232 / 1100, 'D');
    close(r.pValue, 0.015739183865607353, 'p');
    assert.equal(r.method, 'exact');
  });

  it("scipy's test vector, swapped samples give the same answer", () => {
    const r = ks2samp(
      lin(1, 100, 110).map((v) => v + 20.1),
      lin(1, 100, 100),
    );
    close(r.statistic, 232 / 1100, 'D');
    close(r.pValue, 0.015739183865607353, 'p');
  });

  const references = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'scipy', 'ks_2samp.json'), 'utf8')) as Array<{
    name: string;
    a: [number, number, number, number, number];
    b: [number, number, number, number, number];
    statistic: number;
    pvalue: number;
  }>;
  for (const ref of references) {
    it(`${ref.name} (n1=${ref.a[1]}, n2=${ref.b[1]})`, () => {
      const r = ks2samp(sample(...ref.a), sample(...ref.b));
      close(r.statistic, ref.statistic, 'D');
      if (ref.pvalue === 0) assert.equal(r.pValue, 0);
      else close(r.pValue, ref.pvalue, 'p');
      assert.equal(r.method, Math.max(ref.a[1], ref.b[1]) <= 10000 ? 'exact' : 'asymp');
    });
  }

  it('rejects NaN and empty samples', () => {
    assert.throws(() => ks2samp([1, NaN], [1, 2]), /NaN/);
    assert.throws(() => ks2samp([], [1, 2]), /empty/);
  });
});
