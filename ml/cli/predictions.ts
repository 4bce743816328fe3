import type { Command } from 'commander';
import {
  InvalidInputError,
  type OutputFormat,
  outputOption,
  parsePositiveInt,
  type PluginContext,
  printObject,
  printRows,
} from '../../engine/plugin-api.ts';

// Loaded inside the actions that use them (see main.ts).
const ml = {
  registry: () => import('../registry/model-registry.ts'),
  csv: () => import('../data/csv-table.ts'),
  errors: () => import('../errors.ts'),
  predictions: () => import('../monitoring/prediction-store.ts'),
  estimate: () => import('../monitoring/estimated-performance.ts'),
};

type Out = { output: OutputFormat };

function parseFraction(value: string, option: string): number {
  const x = Number(value);
  if (!(x > 0 && x < 1)) throw new InvalidInputError(`${option} must be a number between 0 and 1, got '${value}'`);
  return x;
}

/** Monitored production predictions: logging, late labels, measured and estimated accuracy. */
export function registerPredictionCommands(program: Command, ctx: () => PluginContext): void {
  const predictions = program.command('predictions').description('monitored production predictions (performance triggers)');
  predictions
    .command('log <model> <csv>')
    .description(
      'log predictions from a CSV with columns id, prediction[, score, version, timestamp] (score: the vote share of the predicted class, as `models predict -o json` gives)',
    )
    .action(async (model: string, file: string) => {
      const [{ assertModelName }, { CsvTable }, { DataValidationError }, { PredictionStore }] = await Promise.all([
        ml.registry(),
        ml.csv(),
        ml.errors(),
        ml.predictions(),
      ]);
      assertModelName(model);
      const table = CsvTable.read(file);
      const ids = table.strings('id');
      const preds = table.strings('prediction');
      const scores = table.has('score') ? table.numbers('score') : null;
      const versions = table.has('version') ? table.numbers('version') : null;
      const times = table.has('timestamp') ? table.strings('timestamp') : null;
      const rows = ids.map((id, i) => ({
        id,
        model,
        modelVersion: versions ? versions[i]! : 0,
        prediction: preds[i]!,
        score: scores ? scores[i]! : null,
        timestamp: times ? new Date(times[i]!) : undefined,
      }));
      const bad = rows.findIndex((r) => r.timestamp && Number.isNaN(r.timestamp.getTime()));
      if (bad >= 0) throw new DataValidationError(`${file}: column 'timestamp' row ${bad + 2}: not a date`);
      await new PredictionStore(await ctx().store()).log(rows);
      process.stdout.write(`logged ${rows.length} predictions for ${model}\n`);
    });
  predictions
    .command('label <csv>')
    .description('attach true labels: a CSV with columns id, actual')
    .action(async (file: string) => {
      const [{ CsvTable }, { PredictionStore }] = await Promise.all([ml.csv(), ml.predictions()]);
      const table = CsvTable.read(file);
      const store = new PredictionStore(await ctx().store());
      const actual = table.strings('actual');
      const ids = table.strings('id');
      for (let i = 0; i < ids.length; i++) await store.label(ids[i]!, actual[i]!);
      process.stdout.write(`labelled ${ids.length} predictions\n`);
    });
  predictions
    .command('accuracy <model>')
    .description('accuracy over the labelled predictions of a window')
    .option('--window-days <n>', 'window length in days', '7')
    .option('--min-labels <n>', 'labels needed for an accuracy', '100')
    .addOption(outputOption())
    .action(async (model: string, o: Out & { windowDays: string; minLabels: string }) => {
      const { PredictionStore } = await ml.predictions();
      const w = await new PredictionStore(await ctx().store()).accuracy(model, {
        windowDays: parsePositiveInt(o.windowDays, '--window-days'),
        minLabels: parsePositiveInt(o.minLabels, '--min-labels'),
      });
      printObject(
        {
          model: w.model,
          window_days: w.windowDays,
          predictions: w.predictions,
          labelled: w.labelled,
          label_coverage: w.labelCoverage,
          accuracy: w.accuracy,
          min_labels: w.minLabels,
        },
        o.output,
      );
    });
  predictions
    .command('estimate <model>')
    .description('accuracy estimated without labels (CBPE): per chunk, the mean calibrated probability that each prediction is right')
    .option('--version <v>', 'the version whose predictions to estimate (default: production, with predictions logged without a version)')
    .option('--chunk <n>', 'predictions per chunk (chunks end at the newest prediction)', '1000')
    .option('--threshold <accuracy>', 'the newest complete chunk below this raises the alert', '0.85')
    .option('--window-days <n>', 'window length in days', '7')
    .addOption(outputOption())
    .action(async (model: string, o: Out & { version?: string; chunk: string; threshold: string; windowDays: string }) => {
      const { estimatePerformance } = await ml.estimate();
      const e = await estimatePerformance(await ctx().store(), await ctx().artifacts(), model, {
        version: o.version === undefined ? undefined : parsePositiveInt(o.version, '--version'),
        chunkSize: parsePositiveInt(o.chunk, '--chunk'),
        threshold: parseFraction(o.threshold, '--threshold'),
        windowDays: parsePositiveInt(o.windowDays, '--window-days'),
      });
      if (o.output === 'json') return printObject({ ...e }, 'json');
      printRows(
        e.chunks.map((c) => ({ ...c })),
        'table',
        ['index', 'start', 'end', 'rows', 'complete', 'estimated_accuracy', 'realized_accuracy', 'labelled', 'alert'],
      );
      process.stdout.write(
        `${model} v${e.version}: ${e.reason}${e.unscored ? ` (${e.unscored} predictions without a score ignored)` : ''}\n`,
      );
    });
}
