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

// The ML modules (and their libraries) load inside the actions that use them:
// `models list` needs the registry and the store, not the trainer (see main.ts).
const ml = {
  registry: () => import('../registry/model-registry.ts'),
  csv: () => import('../data/csv-table.ts'),
  errors: () => import('../errors.ts'),
  decisions: () => import('../registry/gate-decisions.ts'),
  deploy: () => import('../deploy.ts'),
};

type Out = { output: OutputFormat };

export function registerModelCommands(program: Command, ctx: () => PluginContext): void {
  const models = program.command('models').description('the model registry');
  const registry = async () => new (await ml.registry()).ModelRegistry(await ctx().store());

  models
    .command('list')
    .description('registered models')
    .addOption(outputOption())
    .action(async (o: Out) => {
      const rows = (await (await registry()).list()).map((m) => ({
        name: m.name,
        latest_version: m.latestVersion,
        production_version: m.productionVersion,
        created_at: m.createdAt,
      }));
      printRows(rows, o.output, ['name', 'latest_version', 'production_version', 'created_at']);
    });

  models
    .command('versions <name>')
    .description('versions of a model with their stage and metrics')
    .addOption(outputOption())
    .action(async (name: string, o: Out) => {
      const rows = (await (await registry()).versions(name)).map((v) => ({
        name: v.name,
        version: v.version,
        stage: v.stage,
        metrics: v.metrics,
        tracking_run_id: v.trackingRunId,
        artifact_uri: v.artifactUri,
        created_at: v.createdAt,
      }));
      printRows(rows, o.output, ['version', 'stage', 'metrics', 'created_at']);
    });

  models
    .command('history <name>')
    .description('which version was in production when')
    .addOption(outputOption())
    .action(async (name: string, o: Out) => {
      const rows = (await (await registry()).history(name)).map((p) => ({
        version: p.version,
        started_at: p.startedAt,
        ended_at: p.endedAt,
        reason: p.reason,
      }));
      printRows(rows, o.output, ['version', 'started_at', 'ended_at', 'reason']);
    });

  models
    .command('show <name> <version>')
    .description(
      "a version's pinned record: DAG file fingerprint, run ids, data SHA-256 and row counts, feature schema, params, metrics, gate decision, calibrator",
    )
    .addOption(outputOption())
    .action(async (name: string, version: string, o: Out) => {
      const v = await (await registry()).version(name, parsePositiveInt(version, 'version'));
      const out = {
        name: v.name,
        version: v.version,
        stage: v.stage,
        artifact_uri: v.artifactUri,
        created_at: v.createdAt,
        record: v.record,
      };
      if (o.output === 'json') printObject(out, 'json');
      else
        process.stdout.write(
          `${name} v${v.version} (${v.stage}), registered ${v.createdAt}\n${v.record ? JSON.stringify(v.record, null, 2) : 'no pinned record (registered before records existed)'}\n`,
        );
    });

  models
    .command('decisions <name>')
    .description(
      'every validation-gate decision: the holdout it scored on, champion vs challenger difference, its interval and the McNemar p-value',
    )
    .addOption(outputOption())
    .action(async (name: string, o: Out) => {
      const decisions = await new (await ml.decisions()).GateDecisions(await ctx().store()).list(name);
      const rows = decisions.map((d) => ({
        decided_at: d.decided_at,
        candidate_run_id: d.candidate_run_id,
        champion_version: d.champion_version,
        passed: d.passed,
        policy: d.policy,
        alpha: d.alpha,
        difference: d.comparison?.difference ?? null,
        ci_low: d.comparison?.ci_low ?? null,
        ci_high: d.comparison?.ci_high ?? null,
        p_value: d.comparison?.p_value ?? null,
        // Decisions recorded before holdouts were kept have none.
        holdout_rows: d.holdout?.rows ?? null,
        holdout_fingerprint: d.holdout?.fingerprint ?? null,
        schema_change: o.output === 'json' ? (d.schema_change ?? null) : (d.schema_change?.differences.join('; ') ?? null),
        reasons: d.reasons.join('; '),
        dag_run_id: d.dag_run_id,
      }));
      printRows(rows, o.output, [
        'decided_at',
        'champion_version',
        'passed',
        'policy',
        'holdout_rows',
        'holdout_fingerprint',
        'difference',
        'ci_low',
        'ci_high',
        'p_value',
        'reasons',
      ]);
    });

  // Both deploy: the version's artifact is read (and verified) through the artifact store
  // before it is promoted, so a missing or corrupt one never serves.
  const deploy = async (name: string, target: number | 'previous', reason: string) =>
    (await ml.deploy()).deployVersion(await ctx().store(), await ctx().artifacts(), name, target, reason);

  models
    .command('promote <name> <version>')
    .description('make a version the production (serving) one, atomically, after reading its artifact')
    .addOption(outputOption())
    .action(async (name: string, version: string, o: Out) => {
      const { artifactUri, ...result } = await deploy(name, parsePositiveInt(version, 'version'), 'manual promote');
      if (o.output === 'json') printObject({ ...result, artifact_uri: artifactUri }, 'json');
      else
        process.stdout.write(
          `${name}: production is now v${result.current} (was ${result.previous === null ? 'none' : `v${result.previous}`}), serving ${artifactUri}\n`,
        );
    });

  models
    .command('rollback <name>')
    .description('back to the previous production version, in one step')
    .addOption(outputOption())
    .action(async (name: string, o: Out) => {
      const { artifactUri, ...result } = await deploy(name, 'previous', 'rollback');
      if (o.output === 'json') printObject({ ...result, artifact_uri: artifactUri }, 'json');
      else process.stdout.write(`${name}: rolled back to v${result.current} (was v${result.previous}), serving ${artifactUri}\n`);
    });

  models
    .command('train <name>')
    .description('train a new version on a CSV file (registered, not promoted)')
    .requiredOption('--data <csv>', 'training data')
    .requiredOption('--target <column>', 'label column')
    .option('--trees <n>', 'number of trees', '100')
    .option('--seed <n>', 'random seed', '42')
    .option('--max-features <n>', "features tried per split: 'sqrt', a count, or a fraction", 'sqrt')
    .option('--max-depth <n>', 'tree depth limit (default: none)')
    .option('--min-samples-leaf <n>', 'rows each side of a split must keep', '1')
    .option('--no-bootstrap', 'train every tree on all rows')
    .option('--threads <n>', 'worker threads (default: available cores)')
    .option('--trainer <name>', "'updraft' or the library's own 'ml-random-forest'", 'updraft')
    .addOption(outputOption())
    .action(
      async (
        name: string,
        o: Out & {
          data: string;
          target: string;
          trees: string;
          seed: string;
          maxFeatures: string;
          maxDepth?: string;
          minSamplesLeaf: string;
          bootstrap: boolean;
          threads?: string;
          trainer: string;
        },
      ) => {
        const { assertModelName, ModelRegistry } = await ml.registry();
        assertModelName(name);
        if (o.trainer !== 'updraft' && o.trainer !== 'ml-random-forest')
          throw new InvalidInputError(`--trainer must be 'updraft' or 'ml-random-forest', got '${o.trainer}'`);
        const maxFeatures = o.maxFeatures === 'sqrt' ? 'sqrt' : Number(o.maxFeatures);
        if (maxFeatures !== 'sqrt' && !(maxFeatures > 0))
          throw new InvalidInputError(`--max-features must be 'sqrt', a count or a fraction, got '${o.maxFeatures}'`);
        const seed = Number(o.seed);
        if (!Number.isInteger(seed)) throw new InvalidInputError(`--seed must be an integer, got '${o.seed}'`);
        const store = await ctx().store();
        const trees = parsePositiveInt(o.trees, '--trees');
        const { trainModel } = await import('../training/train-model.ts');
        const bar = process.stderr.isTTY
          ? new (await import('cli-progress')).SingleBar({ format: `training ${name} [{bar}] {value}/{total} trees` })
          : null;
        bar?.start(trees, 0);
        const result = await trainModel(store, await ctx().artifacts(), {
          model: name,
          data: o.data,
          target: o.target,
          trees,
          seed,
          maxFeatures,
          trainer: o.trainer,
          maxDepth: o.maxDepth === undefined ? undefined : parsePositiveInt(o.maxDepth, '--max-depth'),
          minSamplesLeaf: parsePositiveInt(o.minSamplesLeaf, '--min-samples-leaf'),
          bootstrap: o.bootstrap,
          threads: o.threads === undefined ? undefined : parsePositiveInt(o.threads, '--threads'),
          onTree: (done) => bar?.update(done),
        });
        bar?.stop();
        const { versionRecord } = await import('../registry/version-record.ts');
        // No DAG and no gate: trained by hand, registered without a champion comparison.
        const version = await new ModelRegistry(store).register(
          name,
          result.artifactUri,
          result.metrics,
          result.runId,
          new Date(),
          versionRecord(result, null, null),
        );
        const out = {
          name,
          version: version.version,
          tracking_run_id: result.runId,
          artifact_uri: result.artifactUri,
          metrics: result.metrics,
          train_seconds: result.metrics.train_seconds,
          n_train: result.nTrain,
          n_test: result.nTest,
        };
        if (o.output === 'json') printObject(out, 'json');
        else process.stdout.write(`${name} v${version.version} registered (not promoted); holdout ${JSON.stringify(result.metrics)}\n`);
      },
    );

  models
    .command('predict <name> <input_csv>')
    .description('one predicted label per input row (production version by default)')
    .option('--version <v>', 'a specific version')
    .option('-o, --output <format>', 'csv or json', 'csv')
    .action(async (name: string, input: string, o: { version?: string; output: string }) => {
      if (!['csv', 'json'].includes(o.output)) throw new InvalidInputError(`--output must be csv or json, got '${o.output}'`);
      const [{ servingModel }, { argmax, loadForest, voteFractions }, { CsvTable }, { DataValidationError }] = await Promise.all([
        ml.deploy(),
        import('../training/random-forest.ts'),
        ml.csv(),
        ml.errors(),
      ]);
      // The model comes through the artifact store (verified), wherever it was trained.
      const serving = await servingModel(
        await ctx().store(),
        await ctx().artifacts(),
        name,
        o.version ? parsePositiveInt(o.version, '--version') : undefined,
      );
      if (!serving) throw new InvalidInputError(`model '${name}' has no production version (promote one, or pass --version)`);
      const { version, model: artifact } = serving;
      const table = CsvTable.read(input);
      const missing = artifact.features.find((f) => !table.has(f));
      if (missing) throw new DataValidationError(`${input}: missing column '${missing}' (the model needs ${artifact.features.join(', ')})`);
      const columns = artifact.features.map((f) => table.numbers(f));
      const X = Array.from({ length: table.rowCount }, (_, r) => columns.map((c) => c[r]!));
      const votes = voteFractions(loadForest(artifact), X, artifact.classes.length);
      const labels = votes.map((s) => artifact.classes[argmax(s)]!);
      // score: the vote share of the predicted class, what `predictions log` takes and `predictions estimate` calibrates.
      const scores = votes.map((s) => s[argmax(s)]!);
      if (o.output === 'json')
        process.stdout.write(
          `${JSON.stringify({ name, version: version.version, artifact_uri: version.artifactUri, predictions: labels, scores })}\n`,
        );
      else process.stdout.write(`${artifact.target}\n${labels.join('\n')}\n`);
    });

  program
    .command('retrain-log')
    .description('every trigger evaluation and retrain attempt')
    .option('--model <name>', 'only this model')
    .addOption(outputOption())
    .action(async (o: Out & { model?: string }) => {
      const { RetrainLog } = await import('../retrain-log.ts');
      const entries = await new RetrainLog(await ctx().store()).list(o.model);
      printRows(
        entries.map((e) => ({ ...e })),
        o.output,
        ['timestamp', 'model', 'trigger', 'decision', 'success', 'version', 'reason', 'error', 'artifact_uri'],
      );
    });
}
