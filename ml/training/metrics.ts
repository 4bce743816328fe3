// A type alias (not an interface) so that it is assignable to Record<string, number>.
export type ClassificationMetrics = {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number;
};

/**
 * Accuracy; precision, recall and F1 weighted by class support (scikit-learn's
 * `average='weighted'`); ROC AUC from scores (`scores[i][k]` = vote fraction
 * for class k): binary AUC of the positive class, else one-vs-rest weighted.
 */
export function classificationMetrics(
  yTrue: readonly number[],
  yPred: readonly number[],
  scores: readonly number[][],
  nClasses: number,
): ClassificationMetrics {
  const n = yTrue.length;
  let correct = 0;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) correct++;
  for (let k = 0; k < nClasses; k++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < n; i++) {
      if (yPred[i] === k && yTrue[i] === k) tp++;
      else if (yPred[i] === k) fp++;
      else if (yTrue[i] === k) fn++;
    }
    const support = tp + fn;
    const p = tp + fp ? tp / (tp + fp) : 0;
    const r = support ? tp / support : 0;
    precision += (p * support) / n;
    recall += (r * support) / n;
    f1 += (p + r ? (2 * p * r) / (p + r) : 0) * (support / n);
  }
  let rocAuc: number;
  if (nClasses === 2)
    rocAuc = auc(
      yTrue.map((c) => c === 1),
      scores.map((s) => s[1]!),
    );
  else {
    rocAuc = 0;
    for (let k = 0; k < nClasses; k++) {
      const support = yTrue.filter((c) => c === k).length;
      if (support > 0 && support < n)
        rocAuc +=
          (auc(
            yTrue.map((c) => c === k),
            scores.map((s) => s[k]!),
          ) *
            support) /
          n;
    }
  }
  return { accuracy: correct / n, precision, recall, f1, roc_auc: rocAuc };
}

/** Area under the ROC curve by the rank statistic (ties count one half). */
export function auc(positive: readonly boolean[], score: readonly number[]): number {
  const order = score.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(score.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const nPos = positive.filter(Boolean).length;
  const nNeg = positive.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  const rankSum = positive.reduce((sum, p, i) => (p ? sum + ranks[i]! : sum), 0);
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
