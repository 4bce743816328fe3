import {
  artifactKey,
  type BaseOperator,
  type Dag,
  FailWithoutRetryError,
  type TaskContext,
  UpdraftError,
} from '../../engine/plugin-api.ts';
import { DriftCheckOperator } from '../operators/drift-check-operator.ts';
import { EstimatedPerformanceOperator } from '../operators/estimated-performance-operator.ts';
import { readCsvSource } from '../data/data-source.ts';
import { deployVersion } from '../deploy.ts';
import { PredictionStore } from '../monitoring/prediction-store.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import { versionRecord, type TrainingProvenance } from '../registry/version-record.ts';
import { RetrainLog, type RetrainTrigger } from '../retrain-log.ts';
import { trainModel, type TrainResult } from '../training/train-model.ts';
import { GATE_POLICIES, type GatePolicy } from '../training/validation-gate.ts';
import { DriftReportIndex } from '../reports/drift-report-index.ts';
import { reportForStorage } from '../reports/drift-report-view.ts';
import { claimRetrainTask, mergedTriggers, type TriggerSignal } from './claim-retrain.ts';
import { allowSchemaChange, dataFile, minHoldoutRows, param, RETRAINING_PARAMS } from './params.ts';
import { sharedArtifacts, sharedStore } from './shared-store.ts';
import { championSchema, validateCandidate } from './validate-candidate.ts';

/** Raised by `validate` when the candidate must not replace production. */
export class CandidateRejectedError extends UpdraftError {}

export { RETRAINING_PARAMS } from './params.ts';

/** The trigger evaluation, as one retrain-log line (with the URI of its report, when it wrote one). */
async function logTrigger(
  ctx: TaskContext,
  trigger: RetrainTrigger,
  fire: boolean,
  reason: string,
  metrics: Record<string, number> | null,
  artifactUri?: string,
): Promise<void> {
  await new RetrainLog(await sharedStore()).append({
    model: param(ctx, 'model'),
    trigger,
    decision: fire ? 'fire' : 'skip',
    success: true,
    metrics,
    error: null,
    reason,
    dag_run_id: ctx.runId,
    artifact_uri: artifactUri,
  });
}

/** check_drift: per-column drift (tests picked as Evidently does) between the reference and the current production sample. */
export function driftTrigger(d: Dag): BaseOperator {
  return d.add(
    new DriftCheckOperator({
      taskId: 'check_drift',
      reference: (ctx) => dataFile(ctx, 'reference'),
      current: (ctx) => dataFile(ctx, 'current'),
      alpha: RETRAINING_PARAMS.drift_alpha,
      read: async (source) => readCsvSource(source, await sharedArtifacts()),
      onReport: async (report, ctx) => {
        const drifted = report.columns.filter((c) => c.drifted).map((c) => c.column);
        // The report outlives the run and any host reads it: it goes to the artifact store.
        const key = artifactKey('reports', param<string>(ctx, 'model'), ctx.dagId, ctx.runId, 'drift.json');
        const sources = { reference: dataFile(ctx, 'reference'), current: dataFile(ctx, 'current') };
        const artifacts = await sharedArtifacts();
        const stored = await reportForStorage(report, sources, (source) => readCsvSource(source, artifacts));
        const { uri } = await artifacts.put(key, `${JSON.stringify(stored, null, 2)}\n`);
        ctx.log.info(`drift report: ${uri}`);
        await new DriftReportIndex(await sharedStore()).record({
          artifactUri: uri,
          model: param(ctx, 'model'),
          dagId: ctx.dagId,
          runId: ctx.runId,
          report,
        });
        const pValues = report.columns.flatMap((c) => (c.p_value_adjusted === null ? [] : [c.p_value_adjusted]));
        await logTrigger(
          ctx,
          'drift',
          report.drift,
          `${drifted.length > 0 ? `drift in ${drifted.join(', ')}` : 'no column drifted'} (share ${report.drifted_share.toFixed(2)}, rule >= ${report.share})`,
          {
            columns: report.columns.length,
            drifted_columns: drifted.length,
            drifted_share: report.drifted_share,
            ...(pValues.length > 0 ? { min_p_value_adjusted: Math.min(...pValues) } : {}),
          },
          uri,
        );
      },
    }),
  );
}

/** check_performance: accuracy of labelled production predictions over the window, below the threshold. */
export function performanceTrigger(d: Dag): BaseOperator {
  return d.shortCircuit('check_performance', async (ctx) => {
    const window = await new PredictionStore(await sharedStore()).accuracy(param(ctx, 'model'), {
      windowDays: Number(ctx.params.window_days ?? 7),
      minLabels: Number(ctx.params.min_labels ?? 100),
    });
    const threshold = param<number>(ctx, 'accuracy_threshold');
    const fire = window.accuracy !== null && window.accuracy < threshold;
    const reason =
      window.accuracy === null
        ? `only ${window.labelled} labelled predictions (< ${window.minLabels}); label coverage ${(100 * window.labelCoverage).toFixed(1)}%`
        : `accuracy ${window.accuracy.toFixed(4)} ${fire ? '<' : '>='} ${threshold} on ${window.labelled} labels (coverage ${(100 * window.labelCoverage).toFixed(1)}%)`;
    ctx.log.info(reason);
    await logTrigger(
      ctx,
      'performance',
      fire,
      reason,
      window.accuracy === null ? null : { accuracy: window.accuracy, label_coverage: window.labelCoverage },
    );
    return fire ? ({ detail: reason } satisfies TriggerSignal) : false;
  });
}

/** check_schedule: the newest registered version (last successful retrain) is older than max_age_days. */
export function scheduleTrigger(d: Dag): BaseOperator {
  return d.shortCircuit('check_schedule', async (ctx) => {
    const model = param<string>(ctx, 'model');
    const registry = new ModelRegistry(await sharedStore());
    const versions = (await registry.list()).some((m) => m.name === model) ? await registry.versions(model) : [];
    const last = versions.at(-1);
    const maxAgeDays = param<number>(ctx, 'max_age_days');
    const ageDays = last ? (ctx.logicalDate.getTime() - new Date(last.createdAt).getTime()) / 86_400_000 : Infinity;
    const fire = ageDays > maxAgeDays;
    const reason = last ? `last retrain v${last.version} is ${ageDays.toFixed(1)} days old (limit ${maxAgeDays})` : 'no model trained yet';
    ctx.log.info(reason);
    await logTrigger(ctx, 'schedule', fire, reason, null);
    return fire ? ({ detail: reason } satisfies TriggerSignal) : false;
  });
}

/** check_estimated_performance: accuracy estimated without labels (CBPE) on the newest chunk of production predictions, below the threshold. */
export function estimatedPerformanceTrigger(d: Dag): BaseOperator {
  return d.add(
    new EstimatedPerformanceOperator({
      taskId: 'check_estimated_performance',
      model: (ctx) => param<string>(ctx, 'model'),
      threshold: (ctx) => param<number>(ctx, 'accuracy_threshold'),
      chunkSize: (ctx) => param<number>(ctx, 'estimate_chunk'),
      windowDays: (ctx) => Number(ctx.params.window_days ?? 7),
      onEstimate: (e, ctx) =>
        logTrigger(
          ctx,
          'estimated_performance',
          e?.alert ?? false,
          e?.reason ?? 'no production version to estimate',
          e?.latest ? { estimated_accuracy: e.latest.estimated_accuracy, rows: e.latest.rows, version: e.version } : null,
        ),
    }),
  );
}

/**
 * claim_retrain → train_model → validate → deploy_model after `trigger` (a
 * task whose success, or truthy XCom for a short-circuit, means "retrain").
 * claim_retrain coalesces the triggers of one model (see claim-retrain.ts). A
 * failure anywhere leaves production untouched and is written to the retrain
 * log with the triggers merged into the attempt.
 */
export function addRetrainingTasks(d: Dag, trigger: BaseOperator, kind: RetrainTrigger): void {
  const onFailure = async (ctx: TaskContext, error: Error): Promise<void> => {
    await new RetrainLog(await sharedStore()).append({
      model: param(ctx, 'model'),
      trigger: kind,
      decision: error instanceof CandidateRejectedError ? 'rejected' : 'failed',
      success: false,
      metrics: null,
      error: error.message,
      dag_run_id: ctx.runId,
      merged_triggers: await mergedTriggers(ctx),
    });
  };
  const claim = claimRetrainTask(d, trigger, kind);

  const train = d.task(
    'train_model',
    async (ctx): Promise<TrainResult & { dag: TrainingProvenance }> => {
      const store = await sharedStore();
      const model = param<string>(ctx, 'model');
      // The model being retrained is the champion: its feature schema holds unless a change is asked for.
      const production = allowSchemaChange(ctx) ? undefined : await new ModelRegistry(store).production(model);
      const artifacts = await sharedArtifacts();
      const expectedSchema = production && {
        schema: await championSchema(production, artifacts),
        owner: `champion v${production.version}`,
      };
      const result = await trainModel(store, artifacts, {
        model,
        data: dataFile(ctx, 'train'),
        target: param(ctx, 'target'),
        trees: param(ctx, 'trees'),
        seed: param(ctx, 'seed'),
        expectedSchema,
      });
      ctx.log.info(`trained run ${result.runId}: ${JSON.stringify(result.metrics)}; model ${result.artifactUri}`);
      // The DAG file as serialized when this run trained: pinned with the version it may become.
      const file = await store.dags.location(ctx.dagId);
      return {
        ...result,
        dag: { dag_id: ctx.dagId, run_id: ctx.runId, file: file?.fileloc ?? null, fingerprint: file?.fingerprint ?? null },
      };
    },
    { onFailureCallback: onFailure, queue: String(process.env.UPDRAFT_TRAINING_QUEUE ?? 'default') },
  );

  const validate = d.task(
    'validate',
    async (ctx) => {
      const policy = param<GatePolicy>(ctx, 'gate_policy');
      if (!GATE_POLICIES.includes(policy))
        throw new FailWithoutRetryError(`param gate_policy must be one of ${GATE_POLICIES.join(', ')}, got '${String(policy)}'`);
      // Every decision is kept, a rejection as much as a promotion, with its statistics and holdout.
      const result = await validateCandidate(
        await sharedStore(),
        await sharedArtifacts(),
        {
          model: param(ctx, 'model'),
          trained: ctx.xcom(train),
          trainFile: dataFile(ctx, 'train'),
          allowSchemaChange: allowSchemaChange(ctx),
          dagRunId: ctx.runId,
          minAccuracy: param(ctx, 'min_accuracy'),
          minPrecision: param(ctx, 'min_precision'),
          policy,
          alpha: param(ctx, 'gate_alpha'),
          resamples: param(ctx, 'bootstrap_resamples'),
          seed: param(ctx, 'seed'),
          minHoldoutRows: minHoldoutRows(ctx),
        },
        ctx.log,
      );
      const { gate } = result;
      ctx.log.info(
        `candidate ${JSON.stringify(result.candidate)}; champion ${result.champion_version === null ? 'none' : `v${result.champion_version} ${JSON.stringify(result.champion)}`}; holdout ${JSON.stringify(gate.holdout)}; ${JSON.stringify(gate.comparison)}`,
      );
      if (!gate.passed) throw new CandidateRejectedError(`candidate rejected: ${gate.reasons.join('; ')}`);
      return result;
    },
    { onFailureCallback: onFailure, retries: 0 },
  );

  const deploy = d.task(
    'deploy_model',
    async (ctx) => {
      const trained = ctx.xcom(train);
      const model = param<string>(ctx, 'model');
      const store = await sharedStore();
      const { dag, ...result } = trained;
      const record = versionRecord(result, dag, ctx.xcom(validate).gate);
      const version = await new ModelRegistry(store).register(
        model,
        trained.artifactUri,
        trained.metrics,
        trained.runId,
        new Date(),
        record,
      );
      // Reads the model back through the artifact store before it serves: a corrupt one never does.
      const { previous, artifactUri } = await deployVersion(store, await sharedArtifacts(), model, version.version, `retrain (${kind})`);
      ctx.log.info(
        `registered ${model} v${version.version}, deployed ${artifactUri} (previous: ${previous === null ? 'none' : `v${previous}`})`,
      );
      await new RetrainLog(store).append({
        model,
        trigger: kind,
        decision: 'promoted',
        success: true,
        metrics: trained.metrics,
        error: null,
        dag_run_id: ctx.runId,
        version: version.version,
        artifact_uri: artifactUri,
        merged_triggers: await mergedTriggers(ctx),
      });
      return { version: version.version, previous, artifact_uri: artifactUri };
    },
    { onFailureCallback: onFailure },
  );

  trigger.to(claim).to(train).to(validate).to(deploy);
}
