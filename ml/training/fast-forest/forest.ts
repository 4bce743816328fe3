import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runtimeRegisterUrl } from '../../../engine/plugin-api.ts';
import type { CartNode, CartOptions } from './cart.ts';
import { buildTrees, type TreeJob } from './tree-builder.ts';

export interface FastForestOptions {
  /** @defaultValue 100 */
  trees?: number;
  /** Features tried at each split: a count, a fraction of d, or 'sqrt' (as scikit-learn). @defaultValue 'sqrt' */
  maxFeatures?: number | 'sqrt';
  /** @defaultValue unlimited */
  maxDepth?: number;
  /** @defaultValue 1 */
  minSamplesLeaf?: number;
  /** Bootstrap sample per tree. @defaultValue true */
  bootstrap?: boolean;
  /** @defaultValue 42 */
  seed?: number;
  /** Worker threads; 1 builds in this thread. @defaultValue available cores */
  threads?: number;
  onTree?: (done: number, total: number) => void;
}

const THREAD = new URL('./forest-thread.mjs', import.meta.url);

/**
 * A random forest in ml-random-forest's own format: the result loads with
 * `RandomForestClassifier.load()` and predicts with its `predict` /
 * `predictionValues`. Each tree sees every feature (`indexes` are all
 * columns) and samples `maxFeatures` of them at every split.
 */
export async function trainFastForest(
  X: readonly number[][],
  y: readonly number[],
  nClasses: number,
  options: FastForestOptions = {},
): Promise<Record<string, unknown>> {
  const nRows = X.length;
  const nFeatures = X[0]!.length;
  const trees = options.trees ?? 100;
  const mf = options.maxFeatures ?? 'sqrt';
  const maxFeatures =
    mf === 'sqrt'
      ? Math.max(1, Math.round(Math.sqrt(nFeatures)))
      : mf <= 1
        ? Math.max(1, Math.round(mf * nFeatures))
        : Math.min(nFeatures, Math.floor(mf));
  const cart: CartOptions = {
    maxDepth: options.maxDepth ?? Infinity,
    minNumSamples: 1,
    gainThreshold: 0,
    maxFeatures,
    minSamplesLeaf: options.minSamplesLeaf ?? 1,
  };
  const columns = new SharedArrayBuffer(8 * nRows * nFeatures);
  const flat = new Float64Array(columns);
  for (let i = 0; i < nRows; i++) for (let f = 0; f < nFeatures; f++) flat[f * nRows + i] = X[i]![f]!;
  const labels = new SharedArrayBuffer(4 * nRows);
  new Int32Array(labels).set(y);
  // Each feature is sorted once for the whole forest; trees derive their sample's order in O(n).
  const sorted = new SharedArrayBuffer(4 * nRows * nFeatures);
  const sortedView = new Int32Array(sorted);
  for (let f = 0; f < nFeatures; f++) {
    const v = flat.subarray(f * nRows, (f + 1) * nRows);
    const idx = Int32Array.from({ length: nRows }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
    sortedView.set(idx, f * nRows);
  }
  const base = {
    columns,
    labels,
    sorted,
    nRows,
    nFeatures,
    nClasses,
    seed: options.seed ?? 42,
    bootstrap: options.bootstrap ?? true,
    options: cart,
  };

  const built: CartNode[] = new Array(trees);
  let done = 0;
  const collect = (index: number, tree: CartNode): void => {
    built[index] = tree;
    options.onTree?.(++done, trees);
  };
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), trees));
  if (threads === 1) {
    buildTrees({ ...base, treeIndexes: Array.from({ length: trees }, (_, t) => t) }, collect);
  } else {
    await Promise.all(
      Array.from(
        { length: threads },
        (_, w) =>
          new Promise<void>((resolve, reject) => {
            const treeIndexes = Array.from({ length: trees }, (_, t) => t).filter((t) => t % threads === w);
            // The thread imports the engine's TypeScript loader from the URL it is given (ml/ imports only the plugin API).
            const job: TreeJob = { ...base, treeIndexes };
            const worker = new Worker(THREAD, { workerData: { ...job, register: runtimeRegisterUrl } });
            worker.on('message', (m: { index: number; tree: CartNode } | { done: true }) => {
              if ('done' in m) void worker.terminate().then(() => resolve());
              else collect(m.index, m.tree);
            });
            worker.once('error', reject);
          }),
      ),
    );
  }

  const treeOptions = {
    gainFunction: 'gini',
    splitFunction: 'mean',
    minNumSamples: cart.minNumSamples,
    maxDepth: cart.maxDepth,
    gainThreshold: cart.gainThreshold,
    kind: 'classifier',
  };
  const allColumns = Array.from({ length: nFeatures }, (_, f) => f);
  return {
    name: 'RFClassifier',
    baseModel: {
      indexes: built.map(() => allColumns),
      n: nFeatures,
      replacement: false,
      maxFeatures: 1.0,
      nEstimators: trees,
      treeOptions,
      isClassifier: true,
      seed: base.seed,
      estimators: built.map((root) => ({ options: treeOptions, root, name: 'DTClassifier' })),
      useSampleBagging: base.bootstrap,
      // The Updraft trainer's own settings, for the record (ignored by load()).
      updraft: { trainer: 'updraft-cart', maxFeaturesPerSplit: maxFeatures, minSamplesLeaf: cart.minSamplesLeaf },
    },
  };
}
