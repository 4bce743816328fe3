import type { Selectable } from 'kysely';
import { InvalidInputError } from '../../engine/plugin-api.ts';
import type { MlDb, MlStore, RetrainClaimTable } from '../store/schema.ts';
import { assertModelName } from '../registry/model-registry.ts';
import type { MergedTrigger } from '../retrain-log.ts';

/** One cooldown of a model, unless a run says otherwise (param `retrain_cooldown_minutes`). */
export const DEFAULT_RETRAIN_COOLDOWN_MS = 60 * 60 * 1000;

/** A trigger that fired: what it was, why, when, and which DAG run evaluated it. */
export type FiredTrigger = MergedTrigger;

/** The retrain owning a model's cooldown and every trigger merged into it (the claiming one first). */
export interface RetrainClaim {
  model: string;
  dagId: string;
  runId: string;
  claimedAt: string;
  cooldownUntil: string;
  triggers: FiredTrigger[];
}

export interface ClaimRequest {
  model: string;
  trigger: Omit<FiredTrigger, 'time'>;
  /**
   * The model's cooldown: a trigger merges into the retrain claimed less than
   * this long ago, else it claims a new one.
   * @defaultValue {@link DEFAULT_RETRAIN_COOLDOWN_MS} (1 h)
   */
  cooldownMs?: number;
  /** @defaultValue the wall clock */
  now?: Date;
}

/**
 * `claimed`: this run retrains (it owns the cooldown, or already did: a retried
 * task asking again gets the same answer). `merged`: another run owns the
 * cooldown; the trigger was added to its claim and this run must not retrain.
 */
export interface ClaimDecision {
  outcome: 'claimed' | 'merged';
  claim: RetrainClaim;
}

const toClaim = (r: Selectable<RetrainClaimTable>): RetrainClaim => ({
  model: r.model,
  dagId: r.dag_id,
  runId: r.run_id,
  claimedAt: r.claimed_at,
  cooldownUntil: r.cooldown_until,
  triggers: JSON.parse(r.triggers) as FiredTrigger[],
});

/**
 * Coalesces retrain triggers per model in the store, the source of truth:
 * drift, performance, estimated performance and schedule may fire for one
 * model on several hosts at once, and within a cooldown they start one
 * retrain. The first trigger takes the model's claim row (insert, or a
 * compare-and-set over an expired claim); the others append themselves to it
 * and stand down. Everything happens in one write transaction holding the row
 * (SQLite's BEGIN IMMEDIATE; PostgreSQL's row lock), so two claimers never
 * both win. Models never share a row: two models retrain in parallel.
 */
export class RetrainCoalescer {
  constructor(private readonly store: MlStore) {}

  async claim(request: ClaimRequest): Promise<ClaimDecision> {
    assertModelName(request.model);
    const cooldownMs = request.cooldownMs ?? DEFAULT_RETRAIN_COOLDOWN_MS;
    if (!Number.isFinite(cooldownMs) || cooldownMs < 0)
      throw new InvalidInputError(
        `model '${request.model}': retrain cooldown must be a number of minutes >= 0, got ${cooldownMs / 60_000}`,
      );
    const now = request.now ?? new Date();
    const fired: FiredTrigger = { ...request.trigger, time: now.toISOString() };
    const fresh = {
      model: request.model,
      dag_id: fired.dag_id,
      run_id: fired.run_id,
      claimed_at: fired.time,
      cooldown_until: new Date(now.getTime() + cooldownMs).toISOString(),
      triggers: JSON.stringify([fired]),
    };
    return this.store.write(async (tx) => {
      const inserted = await tx
        .insertInto('retrain_claim')
        .values(fresh)
        .onConflict((oc) => oc.column('model').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { outcome: 'claimed', claim: toClaim(fresh) };
      const row = await this.lockedRow(tx, request.model);
      if (row.dag_id === fired.dag_id && row.run_id === fired.run_id) return { outcome: 'claimed', claim: toClaim(row) };
      // The asking run's cooldown decides (the model's setting as of now), not the one the claim was taken with.
      if (Date.parse(row.claimed_at) + cooldownMs <= now.getTime()) {
        await tx
          .updateTable('retrain_claim')
          .set(fresh)
          .where('model', '=', request.model)
          .where('claimed_at', '=', row.claimed_at)
          .execute();
        return { outcome: 'claimed', claim: toClaim(fresh) };
      }
      const claim = toClaim(row);
      // A retried trigger task merges once.
      if (!claim.triggers.some((t) => t.dag_id === fired.dag_id && t.run_id === fired.run_id && t.kind === fired.kind)) {
        claim.triggers.push(fired);
        await tx
          .updateTable('retrain_claim')
          .set({ triggers: JSON.stringify(claim.triggers) })
          .where('model', '=', request.model)
          .execute();
      }
      return { outcome: 'merged', claim };
    });
  }

  /** The model's claim, if any trigger ever claimed it. */
  async current(model: string): Promise<RetrainClaim | undefined> {
    const row = await this.store.db.selectFrom('retrain_claim').selectAll().where('model', '=', model).executeTakeFirst();
    return row && toClaim(row);
  }

  /** The triggers merged into the retrain of this DAG run (empty when the run does not own the model's claim). */
  async mergedInto(model: string, dagId: string, runId: string): Promise<FiredTrigger[]> {
    const claim = await this.current(model);
    return claim && claim.dagId === dagId && claim.runId === runId ? claim.triggers : [];
  }

  private async lockedRow(tx: MlDb, model: string): Promise<Selectable<RetrainClaimTable>> {
    let query = tx.selectFrom('retrain_claim').selectAll().where('model', '=', model);
    if (this.store.dialect === 'postgres') query = query.forUpdate();
    return query.executeTakeFirstOrThrow();
  }
}
