import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecisionTreeClassifier } from 'ml-cart';
import { RandomForestClassifier } from 'ml-random-forest';
import { buildTree, type CartNode } from '../../ml/training/fast-forest/cart.ts';
import { trainFastForest } from '../../ml/training/fast-forest/forest.ts';
import { rng } from '../../ml/training/dataset.ts';

type MlCartNode = { left?: MlCartNode; right?: MlCartNode; distribution?: number[][]; splitColumn?: number; splitValue?: number };

/** Walks both trees; returns the first difference, or null when they are the same tree. */
function difference(theirs: MlCartNode, ours: CartNode, path = 'root'): string | null {
  const theirLeaf = theirs.distribution !== undefined;
  const ourLeaf = 'distribution' in ours;
  if (theirLeaf !== ourLeaf) return `${path}: ml-cart ${theirLeaf ? 'leaf' : 'split'}, ours ${ourLeaf ? 'leaf' : 'split'}`;
  if ('distribution' in ours) {
    return JSON.stringify(theirs.distribution) === JSON.stringify(ours.distribution)
      ? null
      : `${path}: distribution ${JSON.stringify(theirs.distribution)} vs ${JSON.stringify(ours.distribution)}`;
  }
  if (theirs.splitColumn !== ours.splitColumn || theirs.splitValue !== ours.splitValue) {
    return `${path}: ml-cart x${theirs.splitColumn} < ${theirs.splitValue}, ours x${ours.splitColumn} < ${ours.splitValue}`;
  }
  return difference(theirs.left!, ours.left, `${path}.L`) ?? difference(theirs.right!, ours.right, `${path}.R`);
}

function dataset(seed: number, n: number, d: number) {
  const r = rng(seed);
  // Feature 0 is integer-valued (many ties); classes are imbalanced.
  const X = Array.from({ length: n }, () => Array.from({ length: d }, (_, f) => (f === 0 ? Math.round(r() * 6) : r() * 10)));
  const y = X.map((row) => {
    const s = row[0]! + row[1]! + r() * 4;
    return s < 6 ? 0 : s < 11 ? 1 : 2;
  });
  return { X, y };
}

describe('presorted CART: the same trees as ml-cart', () => {
  it('picks the same split at every node as ml-cart on 200 random small data sets (ties included)', () => {
    for (let trial = 0; trial < 200; trial++) {
      const r = rng(1000 + trial);
      const n = 40 + Math.floor(r() * 120);
      const d = 2 + Math.floor(r() * 4);
      const { X, y } = dataset(trial + 1, n, d);
      const options = { maxDepth: 6, minNumSamples: 3, gainThreshold: 0.01 };
      const theirs = new DecisionTreeClassifier({ gainFunction: 'gini', ...options });
      theirs.train(X, y);
      const columns = Array.from({ length: d }, (_, f) => Float64Array.from(X.map((row) => row[f]!)));
      const ours = buildTree(
        { columns, y: Int32Array.from(y), nClasses: 3 },
        Int32Array.from({ length: n }, (_, i) => i),
        { ...options, maxFeatures: d, minSamplesLeaf: 1 },
        () => 0,
      );
      const json = JSON.parse(JSON.stringify(theirs.toJSON())) as { root: MlCartNode };
      assert.equal(difference(json.root, ours), null, `trial ${trial} (n=${n}, d=${d})`);
    }
  });
});

describe('fast forest in ml-random-forest format', () => {
  const { X, y } = dataset(7, 600, 5);

  it('loads with RandomForestClassifier.load(), predicts, and survives toJSON/load', async () => {
    const model = await trainFastForest(X, y, 3, { trees: 20, seed: 3 });
    const forest = RandomForestClassifier.load(model as never);
    const predictions = forest.predict(X);
    assert.equal(predictions.length, X.length);
    const accuracy = predictions.filter((p, i) => p === y[i]).length / y.length;
    assert.ok(accuracy > 0.9, `training accuracy ${accuracy}`);
    const again = RandomForestClassifier.load(JSON.parse(JSON.stringify(forest.toJSON())));
    assert.deepEqual(again.predict(X), predictions);
  });

  it('is deterministic for a seed, whatever the number of threads; another seed gives another forest', async () => {
    const one = JSON.stringify(await trainFastForest(X, y, 3, { trees: 8, seed: 11, threads: 1 }));
    const two = JSON.stringify(await trainFastForest(X, y, 3, { trees: 8, seed: 11, threads: 2 }));
    const other = JSON.stringify(await trainFastForest(X, y, 3, { trees: 8, seed: 12, threads: 2 }));
    assert.equal(one, two);
    assert.notEqual(one, other);
  });
});
