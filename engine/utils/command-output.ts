import { createRequire } from 'node:module';
import { Option } from 'commander';

/** How a command prints its result: the same choice (`-o table|json`) on every command, the engine's and the plugins'. */
export type OutputFormat = 'table' | 'json';

export const outputOption = (): Option => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

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
  else
    printRows(
      Object.entries(value).map(([key, v]) => ({ key, value: v })),
      'table',
    );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
