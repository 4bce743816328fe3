import { RandomForestClassifier } from 'ml-random-forest';

export interface ForestOptions {
  /** @defaultValue 50 */
  trees?: number;
  /** @defaultValue 42 */
  seed?: number;
  /** Tree depth limit. @defaultValue 12 */
  maxDepth?: number;
  /**
   * Features per tree, as a fraction (0, 1] or a count. ml-random-forest draws
   * features once per tree, not per split, so fewer than all of them weakens
   * every tree; row bagging alone diversifies the forest. @defaultValue 1 (all)
   */
  maxFeatures?: number;
}

/** The serialized model: ml-random-forest's own JSON plus what is needed to use it. */
export interface ModelArtifact {
  format: 'ml-random-forest@2';
  features: string[];
  target: string;
  classes: string[];
  model: unknown;
}

export function trainForest(X: number[][], y: number[], options: ForestOptions = {}): RandomForestClassifier {
  const forest = new RandomForestClassifier({
    nEstimators: options.trees ?? 50,
    seed: options.seed ?? 42,
    maxFeatures: options.maxFeatures ?? 1,
    replacement: true,
    useSampleBagging: true,
    noOOB: true,
    treeOptions: { maxDepth: options.maxDepth ?? 12 },
  } as never);
  forest.train(X, y);
  return forest;
}

/**
 * Vote fractions per class, computed from `predictionValues` (every tree's
 * vote): ml-random-forest's `predictProbability` drops the first tree's vote.
 */
export function voteFractions(forest: RandomForestClassifier, X: number[][], nClasses: number): number[][] {
  const votes = forest.predictionValues(X) as unknown as { rows: number; columns: number; get(i: number, j: number): number };
  const out: number[][] = [];
  for (let i = 0; i < votes.rows; i++) {
    const counts = new Array<number>(nClasses).fill(0);
    for (let t = 0; t < votes.columns; t++) counts[votes.get(i, t)]!++;
    out.push(counts.map((c) => c / votes.columns));
  }
  return out;
}

/** Predicted class = most votes (ties to the lower class index, as ml-random-forest's mode). */
export const argmax = (row: readonly number[]): number => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);

export function loadForest(artifact: ModelArtifact): RandomForestClassifier {
  return RandomForestClassifier.load(artifact.model as never);
}
