import type { BaseOperator, Dag, TaskContext } from '../../engine/plugin-api.ts';
import { RetrainLog, type MergedTrigger, type RetrainTrigger } from '../retrain-log.ts';
import { param } from './params.ts';
import { RetrainCoalescer } from './retrain-coalescer.ts';
import { sharedStore } from './shared-store.ts';

/** What a trigger task that fired may return (a truthy XCom), so the claim can say why. */
export interface TriggerSignal {
  /** One human line, e.g. `accuracy 0.61 < 0.85 on 150 labels`. */
  detail: string;
}

/** Why the trigger fired, from its XCom: a {@link TriggerSignal}, a drift report, or just that it fired. */
export function triggerDetail(kind: RetrainTrigger, taskId: string, xcom: unknown): string {
  if (xcom && typeof xcom === 'object') {
    const value = xcom as { detail?: unknown; columns?: unknown };
    if (typeof value.detail === 'string') return value.detail;
    if (Array.isArray(value.columns)) {
      const drifted = (value.columns as Array<{ column?: unknown; drifted?: unknown }>)
        .filter((c) => c.drifted === true)
        .map((c) => String(c.column));
      return `drift in ${drifted.join(', ') || 'no column'}`;
    }
  }
  return `${kind} fired (${taskId})`;
}

/**
 * claim_retrain: the one decision point between a trigger that fired and
 * training. It takes the model's retrain claim in the store, or merges this
 * trigger into the retrain that holds it within its cooldown and skips the
 * rest of the run. Every trigger kind (drift, performance,
 * estimated_performance, schedule) passes here, whatever task evaluated it.
 */
export function claimRetrainTask(d: Dag, trigger: BaseOperator, kind: RetrainTrigger): BaseOperator {
  return d.shortCircuit('claim_retrain', async (ctx) => {
    const model = param<string>(ctx, 'model');
    const detail = triggerDetail(kind, trigger.taskId, ctx.xcomPull(trigger.taskId));
    const cooldownMinutes = Number(param(ctx, 'retrain_cooldown_minutes'));
    const store = await sharedStore();
    const { outcome, claim } = await new RetrainCoalescer(store).claim({
      model,
      cooldownMs: cooldownMinutes * 60_000,
      trigger: { kind, detail, dag_id: ctx.dagId, run_id: ctx.runId },
    });
    const reason =
      outcome === 'claimed'
        ? `${detail}; retrain claimed until ${claim.cooldownUntil}`
        : `${detail}; merged into the retrain of ${claim.dagId} ${claim.runId} (claimed ${claim.claimedAt}, cooldown until ${claim.cooldownUntil})`;
    ctx.log.info(reason);
    await new RetrainLog(store).append({
      model,
      trigger: kind,
      decision: outcome === 'claimed' ? 'retrain' : 'merged',
      success: true,
      metrics: null,
      error: null,
      reason,
      dag_run_id: ctx.runId,
    });
    return outcome === 'claimed';
  });
}

/** The triggers coalesced into this run's retrain, for its outcome line in the retrain log. */
export async function mergedTriggers(ctx: TaskContext): Promise<MergedTrigger[]> {
  return new RetrainCoalescer(await sharedStore()).mergedInto(param(ctx, 'model'), ctx.dagId, ctx.runId);
}
