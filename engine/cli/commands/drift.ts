import { Option, type Command } from 'commander';
import { CORRECTIONS, type Correction } from '../../../ml/stats/multiple-testing.ts';
import { InvalidInputError } from '../../models/errors.ts';
import { outputOption, printObject, printRows, type OutputFormat } from '../output.ts';

export function registerDriftCommand(program: Command): void {
  program.command('drift <reference_csv> <current_csv>')
    .description('per-column drift between two CSV files (KS for numeric, chi-square for categorical, PSI); exit 0 either way')
    .option('--columns <names>', 'comma-separated columns (default: all of the reference)')
    .option('--alpha <alpha>', 'significance level', '0.05')
    .addOption(new Option('--correction <method>', 'multiple-testing correction').choices([...CORRECTIONS]).default('bh'))
    .addOption(outputOption())
    .action(async (referenceFile: string, currentFile: string, o: { columns?: string; alpha: string; correction: Correction; output: OutputFormat }) => {
      const alpha = Number(o.alpha);
      if (!(alpha > 0 && alpha < 1)) throw new InvalidInputError(`--alpha must be between 0 and 1, got '${o.alpha}'`);
      const columns = o.columns?.split(',').map((c) => c.trim()).filter(Boolean);
      // The statistics load only when a drift report is asked for (see main.ts).
      const [{ CsvTable }, { detectDrift }] = await Promise.all([import('../../../ml/data/csv-table.ts'), import('../../../ml/drift/drift-report.ts')]);
      const report = detectDrift(CsvTable.read(referenceFile), CsvTable.read(currentFile), { alpha, correction: o.correction, columns });
      if (o.output === 'json') {
        printObject(report as unknown as Record<string, unknown>, 'json');
        return;
      }
      const fmt = (x: number) => (Math.abs(x) > 0 && Math.abs(x) < 1e-4 ? x.toExponential(3) : x.toFixed(4));
      printRows(report.columns.map((c) => ({
        column: c.column, test: c.test, statistic: fmt(c.statistic), p_value: fmt(c.p_value), p_adjusted: fmt(c.p_value_adjusted), psi: fmt(c.psi), drifted: c.drifted ? 'DRIFT' : '',
      })), 'table');
      const drifted = report.columns.filter((c) => c.drifted).map((c) => c.column);
      process.stdout.write(report.drift
        ? `Drift detected in ${drifted.join(', ')} (alpha ${alpha}, ${o.correction} correction)\n`
        : `No drift (alpha ${alpha}, ${o.correction} correction over ${report.columns.length} columns)\n`);
    });
}
