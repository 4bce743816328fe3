import { join, resolve } from 'node:path';
import type { Dag } from '../../engine/models/dag.ts';
import { UpdraftError } from '../../engine/models/errors.ts';
import type { TaskContext } from '../../engine/models/task-context.ts';
import { updraftHome } from '../../engine/store/database.ts';
import type { BaseOperator } from '../../operators/base-operator.ts';
import { DriftCheckOperator } from '../../operators/drift-check-operator.ts';
import { artifactKey } from '../../engine/artifacts/artifact-key.ts';
import { isArtifactUri, readCsvSource } from '../data/data-source.ts';
import { deployVersion } from '../deploy.ts';
import { PredictionStore } from '../monitoring/prediction-store.ts';
import { ModelRegistry } from '../registry/model-registry.ts';
import { appendRetrainLog, type RetrainTrigger } from '../retrain-log.ts';
import { datasetFromBytes, stratifiedSplit } from '../training/dataset.ts';
import { readModel, scoreArtifact, trainModel, type TrainResult } from '../training/train-model.ts';
import { validationGate } from '../training/validation-gate.ts';
import { sharedArtifacts, sharedStore } from './shared-store.ts';

/** Raised by `validate` when the candidate must not replace production. */
export class CandidateRejectedError extends UpdraftError {}

/**
 * Run parameters (DAG params, overridden per run by conf). Data paths default
 * to `$UPDRAFT_HOME/data/<model>/{reference,current,train}.csv`, so several
 * models retrain side by side in their own directories; `reference`,
 * `current` and `train` may also be artifact URIs, which any host can read.
 * What the tasks hand each other (the model, the training data, the drift
 * report) always travels as artifact URIs.
 */
export const RETRAINING_PARAMS = {
  model: 'churn',
  target: 'churned',
  data_dir: '',
  trees: 50,
  seed: 42,
  min_accuracy: 0.85,
  min_precision: 0.83,
  tolerance: 0.01,
  drift_alpha: 0.05,
  accuracy_threshold: 0.85,
  max_age_days: 7,
};

const param = <T>(ctx: TaskContext, name: keyof typeof RETRAINING_PARAMS): T => (ctx.params[name] ?? RETRAINING_PARAMS[name]) as T;
const dataDir = (ctx: TaskContext): string => resolve(param<string>(ctx, 'data_dir') || join(updraftHome(), 'data', param<string>(ctx, 'model')));
const dataFile = (ctx: TaskContext, kind: 'reference' | 'current' | 'train'): string => {
  const given = ctx.params[kind];
  if (typeof given !== 'string') return join(dataDir(ctx), `${kind}.csv`);
  return isArtifactUri(given) ? given : resolve(given);
};

/** The trigger evaluation, as one retrain-log line (with the URI of its report, when it wrote one). */
function logTrigger(ctx: TaskContext, trigger: RetrainTrigger, fire: boolean, reason: string, metrics: Record<string, number> | null, artifactUri?: string): void {
  appendRetrainLog({ model: param(ctx, 'model'), trigger, decision: fire ? 'retrain' : 'skip', success: true, metrics, error: null, reason, dag_run_id: ctx.runId, artifact_uri: artifactUri });
}

/** check_drift: per-column drift (tests picked as Evidently does) between the reference and the current production sample. */
export function driftTrigger(d: Dag): BaseOperator {
  return d.add(new DriftCheckOperator({
    taskId: 'check_drift',
    reference: (ctx) => dataFile(ctx, 'reference'),
    current: (ctx) => dataFile(ctx, 'current'),
    alpha: RETRAINING_PARAMS.drift_alpha,
    read: (source) => readCsvSource(source, sharedArtifacts()),
    onReport: async (report, ctx) => {
      const drifted = report.columns.filter((c) => c.drifted).map((c) => c.column);
      // The report outlives the run and any host reads it: it goes to the artifact store.
      const key = artifactKey('reports', param<string>(ctx, 'model'), ctx.dagId, ctx.runId, 'drift.json');
      const { uri } = await sharedArtifacts().put(key, `${JSON.stringify(report, null, 2)}\n`);
      ctx.log.info(`drift report: ${uri}`);
      const pValues = report.columns.flatMap((c) => (c.p_value_adjusted === null ? [] : [c.p_value_adjusted]));
      logTrigger(ctx, 'drift', report.drift, `${drifted.length > 0 ? `drift in ${drifted.join(', ')}` : 'no column drifted'} (share ${report.drifted_share.toFixed(2)}, rule >= ${report.share})`, {
        columns: report.columns.length, drifted_columns: drifted.length, drifted_share: report.drifted_share,
        ...(pValues.length > 0 ? { min_p_value_adjusted: Math.min(...pValues) } : {}),
      }, uri);
    },
  }));
}

/** check_performance: accuracy of labelled production predictions over the window, below the threshold. */
export function performanceTrigger(d: Dag): BaseOperator {
  return d.shortCircuit('check_performance', async (ctx) => {
    const window = await new PredictionStore(await sharedStore()).accuracy(param(ctx, 'model'), { windowDays: Number(ctx.params.window_days ?? 7), minLabels: Number(ctx.params.min_labels ?? 100) });
    const threshold = param<number>(ctx, 'accuracy_threshold');
    const fire = window.accuracy !== null && window.accuracy < threshold;
    const reason = window.accuracy === null
      ? `only ${window.labelled} labelled predictions (< ${window.minLabels}); label coverage ${(100 * window.labelCoverage).toFixed(1)}%`
      : `accuracy ${window.accuracy.toFixed(4)} ${fire ? '<' : '>='} ${threshold} on ${window.labelled} labels (coverage ${(100 * window.labelCoverage).toFixed(1)}%)`;
    ctx.log.info(reason);
    logTrigger(ctx, 'performance', fire, reason, window.accuracy === null ? null : { accuracy: window.accuracy, label_coverage: window.labelCoverage });
    return fire;
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
    logTrigger(ctx, 'schedule', fire, reason, null);
    return fire;
  });
}

/**
 * train_model → validate → deploy_model after `trigger`. A failure anywhere
 * leaves production untouched and is written to the retrain log.
 */
export function addRetrainingTasks(d: Dag, trigger: BaseOperator, kind: RetrainTrigger): void {
  const onFailure = (ctx: TaskContext, error: Error): void => {
    appendRetrainLog({
      model: param(ctx, 'model'), trigger: kind, decision: error instanceof CandidateRejectedError ? 'rejected' : 'failed',
      success: false, metrics: null, error: error.message, dag_run_id: ctx.runId,
    });
  };

  const train = d.task('train_model', async (ctx): Promise<TrainResult> => {
    const result = await trainModel(await sharedStore(), sharedArtifacts(), {
      model: param(ctx, 'model'), data: dataFile(ctx, 'train'), target: param(ctx, 'target'), trees: param(ctx, 'trees'), seed: param(ctx, 'seed'),
    });
    ctx.log.info(`trained run ${result.runId}: ${JSON.stringify(result.metrics)}; model ${result.artifactUri}`);
    return result;
  }, { onFailureCallback: onFailure, queue: String(process.env.UPDRAFT_TRAINING_QUEUE ?? 'default') });

  const validate = d.task('validate', async (ctx) => {
    const trained = ctx.xcom(train);
    const model = param<string>(ctx, 'model');
    const artifacts = sharedArtifacts();
    // The data train_model saw, by URI: this task may run on another host.
    const data = datasetFromBytes(await artifacts.get(trained.dataUri), trained.dataUri, param(ctx, 'target'));
    const holdout = stratifiedSplit(data.y, 0.2, param(ctx, 'seed')).test;
    const candidate = scoreArtifact(await readModel(artifacts, trained.artifactUri), data, holdout)!;
    const production = await new ModelRegistry(await sharedStore()).production(model);
    const champion = production ? scoreArtifact(await readModel(artifacts, production.artifactUri), data, holdout) : null;
    if (production && !champion) ctx.log.warn(`champion v${production.version} uses other features or classes; compared on thresholds only`);
    const gate = validationGate(candidate, champion, {
      minAccuracy: param(ctx, 'min_accuracy'), minPrecision: param(ctx, 'min_precision'), tolerance: param(ctx, 'tolerance'),
    });
    ctx.log.info(`candidate ${JSON.stringify(candidate)}; champion ${production ? `v${production.version} ${JSON.stringify(champion)}` : 'none'}`);
    if (!gate.passed) throw new CandidateRejectedError(`candidate rejected: ${gate.reasons.join('; ')}`);
    return { candidate, champion, champion_version: production?.version ?? null };
  }, { onFailureCallback: onFailure, retries: 0 });

  const deploy = d.task('deploy_model', async (ctx) => {
    const trained = ctx.xcom(train);
    const model = param<string>(ctx, 'model');
    const store = await sharedStore();
    const version = await new ModelRegistry(store).register(model, trained.artifactUri, trained.metrics, trained.runId);
    // Reads the model back through the artifact store before it serves: a corrupt one never does.
    const { previous, artifactUri } = await deployVersion(store, sharedArtifacts(), model, version.version, `retrain (${kind})`);
    ctx.log.info(`registered ${model} v${version.version}, deployed ${artifactUri} (previous: ${previous === null ? 'none' : `v${previous}`})`);
    appendRetrainLog({ model, trigger: kind, decision: 'promoted', success: true, metrics: trained.metrics, error: null, dag_run_id: ctx.runId, version: version.version, artifact_uri: artifactUri });
    return { version: version.version, previous, artifact_uri: artifactUri };
  }, { onFailureCallback: onFailure });

  trigger.to(train).to(validate).to(deploy);
}
