import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from '../training/dataset.ts';

/** How production data differs from the reference: shifts in the mean of features. */
export interface Shift {
  monthlyCharges: number;
  usageGb: number;
  /** Age plays no part in churn here: its shift moves the inputs, not the relation being learnt. @defaultValue 0 */
  age?: number;
}

const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_months', 'age'];

/**
 * Synthetic customer-churn rows: churn depends (with a little noise) on
 * tenure, charges, support calls and usage, so a random forest learns it well.
 * `nearBoundary` (a width in risk units) keeps a row with probability
 * exp(−|risk|/width), its label drawn afterwards: covariate shift toward the
 * decision boundary, P(churn | features) unchanged.
 */
export function churnRows(
  n: number,
  seed: number,
  shift: Shift = { monthlyCharges: 0, usageGb: 0 },
  withLabel = true,
  nearBoundary?: number,
): string {
  const random = rng(seed);
  const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const lines = [withLabel ? [...FEATURES, 'churned'].join(',') : FEATURES.join(',')];
  for (let i = 0; i < n; ) {
    const tenure = Math.max(1, Math.round(normal(30, 15)));
    const charges = Math.max(10, normal(70 + shift.monthlyCharges, 20));
    const calls = Math.max(0, Math.round(normal(2, 1.5)));
    const usage = Math.max(0, normal(40 + shift.usageGb, 15));
    const contract = [1, 12, 24][Math.floor(random() * 3)]!;
    const age = Math.round(normal(45 + (shift.age ?? 0), 12));
    const signal = -0.08 * tenure + 0.05 * charges + 0.9 * calls - 0.04 * usage - 0.08 * contract - 1.2;
    if (nearBoundary !== undefined && random() > Math.exp(-Math.abs(signal) / nearBoundary)) continue;
    i++;
    const risk = signal + normal(0, 0.25);
    const row = [tenure, charges.toFixed(2), calls, usage.toFixed(2), contract, age];
    if (withLabel) row.push(risk > 0 ? 1 : 0);
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Writes reference.csv (training-time baseline), current.csv (production sample) and train.csv (fresh labelled data). */
export function writeChurnData(dir: string, options: { drift: boolean; seed?: number; rows?: number }): void {
  mkdirSync(dir, { recursive: true });
  const seed = options.seed ?? 7;
  const rows = options.rows ?? 1500;
  // Half the features move, so the drift check's data-set rule (at least half the columns drifted, as Evidently) fires.
  const shift = options.drift ? { monthlyCharges: 15, usageGb: -10, age: 10 } : { monthlyCharges: 0, usageGb: 0 };
  writeFileSync(join(dir, 'reference.csv'), churnRows(rows, seed, undefined, false));
  writeFileSync(join(dir, 'current.csv'), churnRows(Math.round(rows / 2), seed + 1, shift, false));
  writeFileSync(join(dir, 'train.csv'), churnRows(rows, seed + 2, shift, true));
}
