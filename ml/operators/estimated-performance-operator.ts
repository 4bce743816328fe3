import { type ArtifactStore, BaseOperator, type DagGraph, type TaskContext, type TaskOptions } from '../../engine/plugin-api.ts';
import type { MlStore } from '../store/schema.ts';
import type { FromContext } from './drift-check-operator.ts';
import type { PerformanceEstimate } from '../monitoring/estimated-performance.ts';

const resolve = <T>(value: FromContext<T>, context: TaskContext): T =>
  typeof value === 'function' ? (value as (c: TaskContext) => T)(context) : value;

/** Options of {@link EstimatedPerformanceOperator}: the task options, the model, and when the estimate fires. */
export interface EstimatedPerformanceOptions extends TaskOptions {
  /** The registered model whose production predictions to estimate. */
  model: FromContext<string>;
  /** The newest complete chunk estimated below this accuracy fires. @defaultValue `0.85` */
  threshold?: FromContext<number>;
  /** Predictions per chunk. @defaultValue `1000` */
  chunkSize?: FromContext<number>;
  /** How far back predictions count, in days. @defaultValue `7` */
  windowDays?: FromContext<number>;
  /** Opens the store holding the model registry and the predictions. @defaultValue the process's shared store (UPDRAFT_HOME / UPDRAFT_DATABASE_URL) */
  store?: () => Promise<MlStore>;
  /** Opens the artifact store holding the model files. @defaultValue the process's shared artifact store (UPDRAFT_ARTIFACTS_URL) */
  artifacts?: () => ArtifactStore | Promise<ArtifactStore>;
  /** Called with the estimate, or null when the model has no production version (e.g. to log the trigger evaluation). @defaultValue none */
  onEstimate?: (estimate: PerformanceEstimate | null, context: TaskContext) => void | Promise<void>;
}

/**
 * Estimates the production model's accuracy on unlabelled predictions from
 * its calibrated vote shares (CBPE) and short-circuits: when the newest
 * complete chunk is estimated at or above the threshold (or there is no full
 * chunk yet, or no production version to estimate), everything downstream
 * is skipped. Its XCom is the estimate (null without a production version).
 * Blind to concept drift (P(y | x) changing): keep a labelled check for that.
 */
export class EstimatedPerformanceOperator extends BaseOperator<PerformanceEstimate | null> {
  readonly operatorName = 'estimated_performance';
  override readonly readsXCom = false;

  constructor(private readonly estimate: EstimatedPerformanceOptions) {
    super(estimate);
  }

  async execute(context: TaskContext): Promise<PerformanceEstimate | null> {
    // Loaded here, not at import: every DAG file imports the operators, few run this one.
    const [{ estimatePerformance }, { ModelRegistry }, shared] = await Promise.all([
      import('../monitoring/estimated-performance.ts'),
      import('../registry/model-registry.ts'),
      import('../pipeline/shared-store.ts'),
    ]);
    const store = await (this.estimate.store ?? shared.sharedStore)();
    const artifacts = await (this.estimate.artifacts ?? shared.sharedArtifacts)();
    const optional = <T>(value: FromContext<T> | undefined): T | undefined => (value === undefined ? undefined : resolve(value, context));
    const model = resolve(this.estimate.model, context);
    // Nothing serves yet, so nothing to estimate: a skip, as the labelled check with no labels.
    if (!(await new ModelRegistry(store).production(model))) {
      context.log.info(`${model} has no production version: nothing to estimate`);
      await this.estimate.onEstimate?.(null, context);
      return null;
    }
    const result = await estimatePerformance(store, artifacts, model, {
      threshold: optional(this.estimate.threshold),
      chunkSize: optional(this.estimate.chunkSize),
      windowDays: optional(this.estimate.windowDays),
    });
    for (const c of result.chunks) {
      context.log.info(
        `chunk ${c.index} (${c.rows} rows${c.complete ? '' : ', partial'}): estimated accuracy ${c.estimated_accuracy.toFixed(4)}${c.realized_accuracy === null ? '' : `, realized ${c.realized_accuracy.toFixed(4)} on ${c.labelled} labels`}`,
      );
    }
    context.log.info(`${result.model} v${result.version}: ${result.reason}`);
    await this.estimate.onEstimate?.(result, context);
    return result;
  }

  override tasksToSkip(result: PerformanceEstimate | null, graph: DagGraph): string[] {
    return result?.alert ? [] : [...graph.descendantsOf(this.taskId)];
  }
}
