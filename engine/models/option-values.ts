import { InvalidInputError } from './errors.ts';

/** A count given on the command line (`--limit`, `--window-days`): a bad one is one line naming the option. */
export function parsePositiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`${option} must be a positive integer, got '${text}'`);
  return n;
}
