import { DagValidationError } from './errors.ts';

/**
 * A length of time: a number of **seconds** (as Airflow's integer
 * `retry_delay`), or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h30m'`, `'1d'`, `'1w'`.
 */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;

/** Parses a {@link Duration} into milliseconds; `what` names the option in the error. */
export function parseDuration(value: Duration, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new DagValidationError(`${what}: duration must be a non-negative number of seconds, got ${value}`);
    return Math.round(value * 1000);
  }
  const text = value.trim();
  if (!WHOLE.test(text)) {
    throw new DagValidationError(`${what}: bad duration '${value}' (use e.g. '30s', '5m', '1h30m', '1d', or a number of seconds)`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(ms);
}

export function isIntervalString(value: string): boolean {
  return WHOLE.test(value.trim());
}
