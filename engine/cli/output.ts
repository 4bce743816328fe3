import { createRequire } from 'node:module';
import { Option } from 'commander';
import { validateConf } from '../models/run-conf.ts';
import { InvalidInputError } from '../models/errors.ts';

export type OutputFormat = 'table' | 'json';

export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

/**
 * Prints rows as a table or as a JSON array. JSON keys are the row keys
 * (snake_case, Airflow's CLI names): a stable, documented shape.
 */
export function printRows(rows: ReadonlyArray<Record<string, unknown>>, format: OutputFormat, columns?: string[]): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const head = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  if (rows.length === 0) {
    process.stdout.write('No data found\n');
    return;
  }
  const cells = rows.map((row) => head.map((key) => cell(row[key])));
  process.stdout.write(`${drawTable(head, cells)}\n`);
}

/** Printable ASCII only: one character is one column, so the width is the length. */
const PLAIN = /^[\x20-\x7e]*$/;

/**
 * cli-table3's box, drawn directly when every cell is plain ASCII (the same
 * characters it would print): cli-table3 measures each cell's display width
 * and took ~0.3 s for `dags list-runs` of 1,000 runs. Anything else (wide or
 * combining characters, line breaks) goes to cli-table3, loaded only then.
 */
export function drawTable(head: readonly string[], cells: readonly string[][]): string {
  if (![head, ...cells].every((row) => row.every((text) => PLAIN.test(text)))) {
    const Table = createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3');
    const table = new Table({ head: [...head], style: { head: [], border: [] } });
    for (const row of cells) table.push([...row]);
    return table.toString();
  }
  const widths = head.map((h, i) => Math.max(1, h.length, ...cells.map((row) => row[i]!.length)) + 2);
  const rule = (left: string, join: string, right: string): string => `${left}${widths.map((w) => '─'.repeat(w)).join(join)}${right}`;
  const line = (row: readonly string[]): string => `│${row.map((text, i) => ` ${text.padEnd(widths[i]! - 2)} `).join('│')}│`;
  const between = rule('├', '┼', '┤');
  return [rule('┌', '┬', '┐'), line(head), ...cells.flatMap((row) => [between, line(row)]), rule('└', '┴', '┘')].join('\n');
}

export function printObject(value: Record<string, unknown>, format: OutputFormat): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else printRows(Object.entries(value).map(([key, v]) => ({ key, value: v })), 'table');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

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

export function parsePositiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`${option} must be a positive integer, got '${text}'`);
  return n;
}
