import { rng } from '../dataset.ts';
import { buildTree, type CartNode, type CartOptions } from './cart.ts';

/** What a thread needs: shared data, which trees to build, and how. */
export interface TreeJob {
  columns: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  /** Row indices sorted by each feature (feature-major), computed once per forest. */
  sorted: SharedArrayBuffer;
  nRows: number;
  nFeatures: number;
  nClasses: number;
  treeIndexes: number[];
  seed: number;
  bootstrap: boolean;
  options: CartOptions;
}

/** Tree t draws from its own seeded stream, so the forest is the same whatever the thread count. */
export const treeSeed = (seed: number, tree: number): number => (Math.imul(seed ^ 0x9e3779b9, 2654435761) + tree * 40503) >>> 0;

export function buildTrees(job: TreeJob, emit: (index: number, tree: CartNode) => void): void {
  const all = new Float64Array(job.columns);
  const columns = Array.from({ length: job.nFeatures }, (_, f) => all.subarray(f * job.nRows, (f + 1) * job.nRows));
  const y = new Int32Array(job.labels);
  const allSorted = new Int32Array(job.sorted);
  const presorted = Array.from({ length: job.nFeatures }, (_, f) => allSorted.subarray(f * job.nRows, (f + 1) * job.nRows));
  for (const t of job.treeIndexes) {
    const random = rng(treeSeed(job.seed, t));
    const rows = new Int32Array(job.nRows);
    for (let i = 0; i < job.nRows; i++) rows[i] = job.bootstrap ? Math.floor(random() * job.nRows) : i;
    emit(t, buildTree({ columns, y, nClasses: job.nClasses }, rows, job.options, random, presorted));
  }
}
