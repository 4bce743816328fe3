import { Option, type Command } from 'commander';
import { DRIFT_METHODS, type DriftMethod } from '../drift/drift-methods.ts';
import { CORRECTIONS, type Correction } from '../stats/multiple-testing.ts';
import { InvalidInputError, type OutputFormat, outputOption, printObject, printRows } from '../../engine/plugin-api.ts';

interface DriftCliOptions {
  columns?: string;
  method: DriftMethod;
  threshold?: string;
  alpha?: string;
  correction: Correction;
  share: string;
  output: OutputFormat;
}

/** A number option in (0, max], or a one-line error naming the option. */
function numberOption(name: string, text: string | undefined, max: number, inclusive: boolean): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  const ok = text.trim() !== '' && x > 0 && (inclusive ? x <= max : x < max);
  if (!ok)
    throw new InvalidInputError(
      `${name} must be ${Number.isFinite(max) ? `above 0 and ${inclusive ? 'at most' : 'below'} ${max}` : 'a positive number'}, got '${text}'`,
    );
  return x;
}

export function registerDriftCommand(program: Command): void {
  program
    .command('drift <reference_csv> <current_csv>')
    .description('per-column drift between two CSV files (tests picked per column as Evidently does, or forced); exit 0 either way')
    .option('--columns <names>', 'comma-separated columns (default: all of the reference)')
    .addOption(
      new Option(
        '--method <method>',
        'test per column; auto: KS / chi-square / z-test up to 1000 reference rows, else normed Wasserstein / Jensen-Shannon',
      )
        .choices([...DRIFT_METHODS])
        .default('auto'),
    )
    .option(
      '--threshold <x>',
      'a column drifted when its corrected p-value is below x, or its distance at or above x (default 0.05 for p-values, 0.1 for distances)',
    )
    .option('--alpha <alpha>', 'significance level of the p-value tests (the same as --threshold for them; default 0.05)')
    .addOption(new Option('--correction <method>', 'multiple-testing correction of the p-values').choices([...CORRECTIONS]).default('bh'))
    .option('--share <share>', 'the data set drifted when at least this share of its columns drifted', '0.5')
    .addOption(outputOption())
    .action(async (referenceFile: string, currentFile: string, o: DriftCliOptions) => {
      if (o.threshold !== undefined && o.alpha !== undefined)
        throw new InvalidInputError('give --threshold or --alpha, not both (--alpha is the threshold of the p-value tests)');
      const threshold = numberOption('--threshold', o.threshold, Infinity, false);
      const alpha = numberOption('--alpha', o.alpha, 1, false);
      const share = numberOption('--share', o.share, 1, true);
      const columns = o.columns
        ?.split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      // The statistics load only when a drift report is asked for (see main.ts).
      const [{ CsvTable }, { detectDrift }] = await Promise.all([import('../data/csv-table.ts'), import('../drift/drift-report.ts')]);
      const report = detectDrift(CsvTable.read(referenceFile), CsvTable.read(currentFile), {
        method: o.method,
        threshold,
        alpha,
        correction: o.correction,
        share,
        columns,
      });
      if (o.output === 'json') {
        printObject(report as unknown as Record<string, unknown>, 'json');
        return;
      }
      const fmt = (x: number | null) => (x === null ? '' : Math.abs(x) > 0 && Math.abs(x) < 1e-4 ? x.toExponential(3) : x.toFixed(4));
      printRows(
        report.columns.map((c) => ({
          column: c.column,
          test: c.test,
          statistic: fmt(c.statistic),
          p_value: fmt(c.p_value),
          p_adjusted: fmt(c.p_value_adjusted),
          distance: fmt(c.distance),
          threshold: String(c.threshold),
          psi: fmt(c.psi),
          drifted: c.drifted ? 'DRIFT' : '',
        })),
        'table',
      );
      const drifted = report.columns.filter((c) => c.drifted).map((c) => c.column);
      const rule = `${drifted.length} of ${report.columns.length} columns drifted, share ${report.drifted_share.toFixed(2)} ${report.drift ? '>=' : '<'} ${report.share}; method ${report.method}, ${report.correction} correction`;
      process.stdout.write(report.drift ? `Drift detected in ${drifted.join(', ')} (${rule})\n` : `No drift (${rule})\n`);
    });
}
