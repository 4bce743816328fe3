import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { histogramCounts, sturgesBinEdges } from '../../ml/stats/histogram.ts';
import { jensenShannonDistance } from '../../ml/stats/jensen-shannon.ts';
import { proportionZTest } from '../../ml/stats/proportion-z-test.ts';
import { wassersteinDistance } from '../../ml/stats/wasserstein.ts';
import { jensenShannonOfSamples, normedWasserstein } from '../../ml/drift/column-tests.ts';
import { closeTo, lcg, values, type SampleSpec } from '../fixtures/scipy/samples.ts';

/** Recorded by test/fixtures/scipy/make_drift_distances.py with Debian's python3-scipy. */
const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'scipy', 'drift_distances.json'), 'utf8')) as {
  wasserstein: Array<{
    name: string;
    u: SampleSpec;
    v: SampleSpec;
    u_weights: [number, number, number] | null;
    v_weights: [number, number, number] | null;
    distance: number;
    u_std: number;
  }>;
  jensenshannon: Array<{ name: string; p: number[]; q: number[]; base: number | null; distance: number }>;
  jensenshannon_binned: Array<{
    name: string;
    reference: SampleSpec;
    current: SampleSpec;
    edges: number[];
    reference_counts: number[];
    current_counts: number[];
    distance: number;
  }>;
  z_test: Array<{ x1: number; n1: number; x2: number; n2: number; statistic: number; pvalue: number }>;
};

/** make_drift_distances.py's `weights(seed, n, zeros)`. */
function weights(seed: number, n: number, zeros: number): number[] {
  const w = lcg(seed, n);
  for (let i = 0; i < zeros; i++) w[(i * 3) % n] = 0;
  return w;
}

describe('Wasserstein distance against scipy.stats.wasserstein_distance', () => {
  for (const f of fixtures.wasserstein) {
    it(f.name, () => {
      const u = values(f.u);
      const v = values(f.v);
      const d = wassersteinDistance(
        u,
        v,
        f.u_weights ? weights(...f.u_weights) : undefined,
        f.v_weights ? weights(...f.v_weights) : undefined,
      );
      if (f.distance === 0) assert.equal(d, 0);
      else closeTo(d, f.distance, 'distance');
      if (!f.u_weights && !f.v_weights) {
        // Evidently's normed distance: divided by the reference's population std, at least 0.001.
        const normed = normedWasserstein(Float64Array.from(u), Float64Array.from(v));
        if (f.distance === 0) assert.equal(normed, 0);
        else closeTo(normed, f.distance / Math.max(f.u_std, 0.001), 'normed distance');
      }
    });
  }

  it('rejects empty samples, NaN, negative weights and weights that sum to 0', () => {
    assert.throws(() => wassersteinDistance([], [1]), /empty/);
    assert.throws(() => wassersteinDistance([1, NaN], [1]), /not finite/);
    assert.throws(() => wassersteinDistance([1, 2], [1], [1, -1]), /non-negative/);
    assert.throws(() => wassersteinDistance([1, 2], [1], [0, 0]), /positive/);
    assert.throws(() => wassersteinDistance([1, 2], [1], [1]), /2 values but 1 weights/);
  });
});

describe('Jensen-Shannon distance against scipy.spatial.distance.jensenshannon', () => {
  for (const f of fixtures.jensenshannon) {
    it(f.name, () => {
      const d = jensenShannonDistance(f.p, f.q, f.base ?? undefined);
      if (f.distance === 0) assert.equal(d, 0);
      else closeTo(d, f.distance, 'distance');
    });
  }

  for (const f of fixtures.jensenshannon_binned) {
    it(`Evidently's binning of a numeric column: ${f.name} (numpy Sturges edges and histogram)`, () => {
      const reference = values(f.reference);
      const current = values(f.current);
      const edges = sturgesBinEdges([...reference, ...current]);
      assert.deepEqual(edges, f.edges, 'numpy.histogram_bin_edges(bins="sturges"), bit for bit');
      assert.deepEqual(histogramCounts(reference, edges), f.reference_counts);
      assert.deepEqual(histogramCounts(current, edges), f.current_counts);
      const d = jensenShannonDistance(
        f.reference_counts.map((c) => c / reference.length),
        f.current_counts.map((c) => c / current.length),
      );
      if (f.distance === 0) assert.equal(d, 0);
      else closeTo(d, f.distance, 'distance');
      // The drift test bins like this when the reference has more than 20 distinct values (else each value is a category).
      if (new Set(reference).size > 20)
        closeTo(
          jensenShannonOfSamples({ numeric: true, reference: Float64Array.from(reference), current: Float64Array.from(current) }),
          f.distance,
          'drift test',
        );
    });
  }

  it('a category present on one side only, as the drift test counts categories', () => {
    const d = jensenShannonOfSamples({ numeric: false, reference: ['a', 'a', 'b', 'b'], current: ['a', 'b', 'c', 'c'] });
    // p = (1/2, 1/2, 0), q = (1/4, 1/4, 1/2): m = (3/8, 3/8, 1/4)
    const js = (2 * 0.5 * Math.log(0.5 / 0.375) + 2 * 0.25 * Math.log(0.25 / 0.375) + 0.5 * Math.log(0.5 / 0.25)) / 2;
    closeTo(d, Math.sqrt(js), 'distance');
  });

  it('rejects vectors of different lengths, negative entries and all-zero vectors', () => {
    assert.throws(() => jensenShannonDistance([1, 2], [1]), /different lengths/);
    assert.throws(() => jensenShannonDistance([1, -2], [1, 1]), /negative/);
    assert.throws(() => jensenShannonDistance([0, 0], [1, 1]), /sums to 0/);
  });
});

describe('two-proportion z-test against 2 * scipy.stats.norm.sf(|z|)', () => {
  for (const f of fixtures.z_test) {
    it(`${f.x1}/${f.n1} against ${f.x2}/${f.n2}`, () => {
      const r = proportionZTest(f.x1, f.n1, f.x2, f.n2);
      closeTo(r.statistic, f.statistic, 'z');
      closeTo(r.pValue, f.pvalue, 'p');
    });
  }

  it('both samples all one kind: nothing to test (p = 1); bad counts are rejected', () => {
    assert.deepEqual(proportionZTest(0, 10, 0, 20), { statistic: 0, pValue: 1 });
    assert.deepEqual(proportionZTest(10, 10, 20, 20), { statistic: 0, pValue: 1 });
    assert.throws(() => proportionZTest(11, 10, 1, 2), /not a valid count/);
  });
});
