import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CsvTable } from '../data/csv-table.ts';
import { DataValidationError } from '../errors.ts';

/** A labelled data set: numeric features, class indices, the class names and a fingerprint of the file. */
export interface Dataset {
  file: string;
  features: string[];
  target: string;
  X: number[][];
  /** class index per row, into `classes` */
  y: number[];
  classes: string[];
  sha256: string;
}

/**
 * Reads a training CSV: every column but `target` is a numeric feature (or
 * exactly `features` when given); the target needs at least two classes.
 * Errors name the file and the column.
 */
export function loadDataset(file: string, target: string, features?: readonly string[]): Dataset {
  if (!existsSync(file)) throw new DataValidationError(`${file}: no such file`);
  return datasetFromBytes(readFileSync(file), file, target, features);
}

/** {@link loadDataset} on bytes already read (e.g. from the artifact store); `file` names them in errors. */
export function datasetFromBytes(bytes: Buffer, file: string, target: string, features?: readonly string[]): Dataset {
  const table = CsvTable.parse(bytes.toString('utf8'), file);
  if (!table.has(target))
    throw new DataValidationError(`${file}: missing target column '${target}' (columns: ${table.columns.join(', ')})`);
  const featureNames = features ? [...features] : table.columns.filter((c) => c !== target);
  if (featureNames.length === 0) throw new DataValidationError(`${file}: no feature columns besides target '${target}'`);
  if (features) {
    const extra = table.columns.filter((c) => c !== target && !features.includes(c));
    if (extra.length > 0)
      throw new DataValidationError(`${file}: extra column '${extra[0]}' not in the model's features (${features.join(', ')})`);
  }
  const columns = featureNames.map((name) => table.numbers(name));
  const labels = table.strings(target);
  if (labels.some((l) => l === ''))
    throw new DataValidationError(`${file}: target column '${target}' has an empty cell at row ${labels.indexOf('') + 2}`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2)
    throw new DataValidationError(`${file}: target column '${target}' has a single class ('${classes[0]}'); training needs at least two`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const X = labels.map((_, r) => columns.map((col) => col[r]!));
  return {
    file,
    features: featureNames,
    target,
    X,
    y: labels.map((l) => index.get(l)!),
    classes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Seeded PRNG (mulberry32) for reproducible splits. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stratified split: each class keeps its share in train and test; same seed, same split. */
export function stratifiedSplit(y: readonly number[], testFraction: number, seed: number): { train: number[]; test: number[] } {
  const random = rng(seed);
  const byClass = new Map<number, number[]>();
  for (const [i, c] of y.entries()) byClass.set(c, [...(byClass.get(c) ?? []), i]);
  const train: number[] = [];
  const test: number[] = [];
  for (const [, rows] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const nTest = Math.round(rows.length * testFraction);
    test.push(...rows.slice(0, nTest));
    train.push(...rows.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * A split training can use: a holdout to score on and every class in the
 * training rows. Too little data is bad input (DataValidationError: no retry
 * helps), named by file and column, never a crash deep in the forest.
 */
export function assertTrainableSplit(
  data: Dataset,
  split: { train: readonly number[]; test: readonly number[] },
  testFraction: number,
): void {
  const counts = data.classes.map((_, c) => data.y.filter((y) => y === c).length);
  if (split.test.length === 0) {
    // stratifiedSplit holds out round(count * fraction) rows of each class.
    const needed = Math.ceil(0.5 / testFraction);
    throw new DataValidationError(
      `${data.file}: ${data.y.length} data rows are too few to train and score a model: a ${Math.round(testFraction * 100)}% holdout per class of '${data.target}' needs a class with at least ${needed} rows (counts: ${data.classes.map((c, i) => `'${c}' ${counts[i]}`).join(', ')})`,
    );
  }
  const inTraining = new Set(split.train.map((r) => data.y[r]));
  const missing = data.classes.findIndex((_, c) => !inTraining.has(c));
  if (missing >= 0) {
    throw new DataValidationError(
      `${data.file}: class '${data.classes[missing]}' of target column '${data.target}' has ${counts[missing]} row(s), all held out for testing; training needs at least one`,
    );
  }
}
