import { validateConf } from '../models/run-conf.ts';
import { InvalidInputError } from '../models/errors.ts';

// The printing helpers live in utils and the option parser in models, so plugins reach them through
// engine/plugin-api.ts; the CLI's commands keep importing them from here.
export { drawTable, outputOption, printObject, printRows, type OutputFormat } from '../utils/command-output.ts';
export { parsePositiveInt } from '../models/option-values.ts';

/** Parses `--conf`: must be a JSON object. */
export function parseConf(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    // A deep nesting overflows the parser's stack: say so as a bad conf, not a crash.
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--conf is not valid JSON: ${(error as Error).message}`);
  }
  return validateConf(value, '--conf');
}

/** Parses an ISO date option (date-only means midnight UTC). */
export function parseDateOption(text: string, option: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(`${option}: not an ISO date: '${text}'`);
  return date;
}
