import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { GateDecisionTable, MlStore } from '../store/schema.ts';
import type { GateDecision } from '../training/validation-gate.ts';
import { assertModelName } from './model-name.ts';

/** A validation-gate decision as the registry keeps it: passed or rejected, with its statistics. */
export interface StoredGateDecision extends GateDecision {
  id: string;
  name: string;
  /** The tracking run that trained the candidate (a registered version's `trackingRunId`). */
  candidate_run_id: string;
  champion_version: number | null;
  decided_at: string;
  dag_run_id: string | null;
}

const toDecision = (r: Selectable<GateDecisionTable>): StoredGateDecision => JSON.parse(r.decision) as StoredGateDecision;

/** Every champion-vs-challenger decision, so that a rejection is as visible as a promotion. */
export class GateDecisions {
  constructor(private readonly store: MlStore) {}

  async record(
    name: string,
    candidateRunId: string,
    championVersion: number | null,
    decision: GateDecision,
    dagRunId: string | null,
    now = new Date(),
  ): Promise<StoredGateDecision> {
    assertModelName(name);
    const stored: StoredGateDecision = {
      id: randomUUID(),
      name,
      candidate_run_id: candidateRunId,
      champion_version: championVersion,
      decided_at: now.toISOString(),
      dag_run_id: dagRunId,
      ...decision,
    };
    await this.store.db
      .insertInto('gate_decision')
      .values({
        id: stored.id,
        name,
        candidate_run_id: candidateRunId,
        champion_version: championVersion,
        passed: decision.passed ? 1 : 0,
        decided_at: stored.decided_at,
        dag_run_id: dagRunId,
        decision: JSON.stringify(stored),
      })
      .execute();
    return stored;
  }

  /** Oldest first. */
  async list(name: string): Promise<StoredGateDecision[]> {
    assertModelName(name);
    return (
      await this.store.db.selectFrom('gate_decision').selectAll().where('name', '=', name).orderBy('decided_at').orderBy('id').execute()
    ).map(toDecision);
  }
}
