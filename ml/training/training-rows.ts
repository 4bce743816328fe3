import { createHash } from 'node:crypto';
import type { Dataset } from './dataset.ts';

/**
 * Which rows a model was trained on, as fingerprints of their values (the
 * features, by name, and the label), so that a later gate can score it only
 * on rows it never saw, whatever file, order or split they come from.
 * Stored beside the model as `training-rows.json`.
 */
export interface TrainingRows {
  format: 'updraft-training-rows@1';
  target: string;
  /** The features fingerprinted, sorted by name. */
  features: string[];
  rows: number;
  /** Sorted, distinct. */
  fingerprints: string[];
}

/** The holdout the gate scored on, as the decision records it (snake_case: stored and shown as is). */
export interface HoldoutRecord {
  /** Rows neither the candidate nor the champion trained on. */
  rows: number;
  /** SHA-256 of the holdout's sorted row fingerprints: the same rows, the same fingerprint. */
  fingerprint: string;
  /** Fewer rows than this never replace a champion. */
  minimum: number;
  /** The candidate's test split, before the rows either model trained on were taken out. */
  test_rows: number;
  /** Test rows equal to a row the candidate trained on (duplicates in the data). */
  trained_by_candidate: number;
  /** Test rows the champion trained on. */
  trained_by_champion: number;
}

/**
 * A row's fingerprint over `features` (by name, in any column order; numbers
 * as parsed, so `3.50` and `3.5` are one value) and its label: 64 bits of SHA-256.
 */
function rowFingerprinter(data: Dataset, features: readonly string[]): (row: number) => string {
  const columns = [...features].sort().map((name) => {
    const column = data.features.indexOf(name);
    if (column < 0) throw new Error(`fingerprint over '${name}', which ${data.file} lacks`);
    return column;
  });
  return (row) =>
    createHash('sha256')
      .update(JSON.stringify([...columns.map((c) => data.X[row]![c]!), data.classes[data.y[row]!]!]))
      .digest('hex')
      .slice(0, 16);
}

export function trainingRows(data: Dataset, rows: readonly number[], features: readonly string[] = data.features): TrainingRows {
  const fingerprint = rowFingerprinter(data, features);
  return {
    format: 'updraft-training-rows@1',
    target: data.target,
    features: [...features].sort(),
    rows: rows.length,
    fingerprints: [...new Set(rows.map(fingerprint))].sort(),
  };
}

/**
 * The candidate's test rows less every row either model trained on. The
 * champion's rows are matched over the champion's own features, so a
 * candidate with an added column still recognises them; a champion whose
 * training rows the data cannot express (a feature the file lacks) scores
 * nothing here, so there is nothing of it to take out.
 */
export function honestHoldout(
  data: Dataset,
  split: { train: readonly number[]; test: readonly number[] },
  champion: TrainingRows | null,
  minimum: number,
): { rows: number[]; record: HoldoutRecord } {
  const own = rowFingerprinter(data, data.features);
  const candidateTrained = new Set(split.train.map(own));
  const championMatchable =
    champion !== null && champion.target === data.target && champion.features.every((f) => data.features.includes(f));
  const championFingerprint = championMatchable ? rowFingerprinter(data, champion.features) : null;
  const championTrained = new Set(championMatchable ? champion.fingerprints : []);
  const rows: number[] = [];
  let byCandidate = 0;
  let byChampion = 0;
  for (const row of split.test) {
    if (candidateTrained.has(own(row))) byCandidate++;
    else if (championFingerprint && championTrained.has(championFingerprint(row))) byChampion++;
    else rows.push(row);
  }
  const fingerprint = createHash('sha256').update(rows.map(own).sort().join('\n')).digest('hex');
  return {
    rows,
    record: {
      rows: rows.length,
      fingerprint,
      minimum,
      test_rows: split.test.length,
      trained_by_candidate: byCandidate,
      trained_by_champion: byChampion,
    },
  };
}
