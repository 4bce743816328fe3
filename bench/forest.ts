// npm run bench:forest — Updraft's trainer vs unpatched ml-random-forest vs scikit-learn, one run, same data.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { RandomForestClassifier } from 'ml-random-forest';
import { rng } from '../ml/training/dataset.ts';
import { trainFastForest } from '../ml/training/fast-forest/forest.ts';

/** A fixed nonlinear binary problem (no downloads): interactions, a sine, a square, 5 noise features. */
function synthetic(n: number, d: number, seed: number): { X: number[][]; y: number[] } {
  const r = rng(seed);
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => r() * 2 - 1));
  const y = X.map((x) => (x[0]! + x[1]! * x[2]! + Math.sin(2 * x[3]!) + 0.5 * x[4]! ** 2 - 0.2 + (r() - 0.5) * 0.4 > 0 ? 1 : 0));
  return { X, y };
}

const accuracy = (pred: readonly number[], y: readonly number[]) => pred.filter((p, i) => p === y[i]).length / y.length;
const seconds = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const out = await fn();
  return [out, (performance.now() - t) / 1000];
};

function findSklearn(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

async function main(): Promise<void> {
  const TREES = 100;
  const { X, y } = synthetic(10_000, 10, 2026);
  const trainX = X.slice(0, 8000);
  const trainY = y.slice(0, 8000);
  const testX = X.slice(8000);
  const testY = y.slice(8000);
  const rows: string[][] = [];

  const [model, ours] = await seconds(() => trainFastForest(trainX, trainY, 2, { trees: TREES, seed: 42 }));
  const oursAcc = accuracy(RandomForestClassifier.load(model as never).predict(testX), testY);
  rows.push(['Updraft (presorted CART, sqrt features per split, worker threads)', '8,000', ours.toFixed(2), oursAcc.toFixed(4)]);

  const SUB = 1000;
  const [lib, libTime] = await seconds(() => {
    const f = new RandomForestClassifier({ nEstimators: TREES, seed: 42 } as never);
    f.train(trainX.slice(0, SUB), trainY.slice(0, SUB));
    return f;
  });
  const libAcc = accuracy(lib.predict(testX), testY);
  rows.push([
    `ml-random-forest 2.1, unpatched (defaults), on a ${SUB}-row subsample`,
    SUB.toLocaleString(),
    `${libTime.toFixed(2)} (≈${(libTime * (8000 / SUB) ** 2).toFixed(0)} at 8,000 if O(n²))`,
    libAcc.toFixed(4),
  ]);

  let sklearnTime: number | null = null;
  let sklearnAcc: number | null = null;
  const python = findSklearn();
  if (python) {
    const dir = mkdtempSync(join(tmpdir(), 'updraft-forest-bench-'));
    const csv = (xs: number[][], ys: number[]) => xs.map((x, i) => [...x, ys[i]].join(',')).join('\n');
    writeFileSync(join(dir, 'train.csv'), csv(trainX, trainY));
    writeFileSync(join(dir, 'test.csv'), csv(testX, testY));
    const script = `
import time, numpy as np
from sklearn.ensemble import RandomForestClassifier
tr = np.loadtxt("${dir}/train.csv", delimiter=","); te = np.loadtxt("${dir}/test.csv", delimiter=",")
for jobs in (1, -1):
    m = RandomForestClassifier(n_estimators=${TREES}, random_state=42, n_jobs=jobs)
    t = time.perf_counter(); m.fit(tr[:, :-1], tr[:, -1]); s = time.perf_counter() - t
    print(jobs, s, (m.predict(te[:, :-1]) == te[:, -1]).mean())
`;
    const out = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    for (const line of out.stdout.trim().split('\n')) {
      const [jobs, s, acc] = line.split(' ');
      rows.push([
        `scikit-learn RandomForestClassifier(n_estimators=${TREES}, n_jobs=${jobs})`,
        '8,000',
        Number(s).toFixed(2),
        Number(acc).toFixed(4),
      ]);
      if (jobs === '-1') [sklearnTime, sklearnAcc] = [Number(s), Number(acc)];
    }
  } else {
    rows.push(['scikit-learn', '', 'not installed (python3 -c "import sklearn" failed)', '']);
  }

  const big = synthetic(100_000, 20, 7);
  const [, bigTime] = await seconds(() => trainFastForest(big.X, big.y, 2, { trees: TREES, seed: 42 }));
  rows.push([
    `Updraft on 100,000 rows × 20 features (rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB after)`,
    '100,000',
    bigTime.toFixed(2),
    '',
  ]);

  const table = new Table({ head: ['trainer', 'train rows', 'fit seconds', 'held-out accuracy'], style: { head: [], border: [] } });
  table.push(...rows);
  process.stdout.write(`${table.toString()}\n`);
  if (sklearnTime !== null && sklearnAcc !== null) {
    process.stdout.write(
      `Updraft vs scikit-learn (all cores): ${(ours / sklearnTime).toFixed(2)}x the time (target <= 3x), accuracy ${((oursAcc - sklearnAcc) * 100).toFixed(2)} points (target within 1)\n`,
    );
  }
  process.stdout.write(
    `Updraft vs unpatched ml-random-forest: ${((libTime * (8000 / SUB) ** 2) / ours).toFixed(0)}x faster (extrapolated), accuracy ${((oursAcc - libAcc) * 100).toFixed(2)} points\n`,
  );
}

await main();
