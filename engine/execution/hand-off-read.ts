import type { DagStructure } from '../models/dag-spec.ts';
import type { TaskInstanceKey } from '../models/task-instance-key.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { handOffReads } from './dag-run-evaluator.ts';

/** The tries of one run a hand-off decision reads: its downstream tasks' and theirs upstream. */
export interface HandOffRead {
  /** Task ids read (a task read and found without a try is absent from `states`). */
  reads: ReadonlySet<string>;
  states: Map<string, TaskInstance>;
}

/** Reads what the hand-off of these finishing tries (of one run) is decided from; no statement when they have no downstream. */
export async function readHandOff(store: Store, structure: DagStructure, finishing: readonly TaskInstanceKey[]): Promise<HandOffRead> {
  const { dagId, runId } = finishing[0]!;
  const reads = handOffReads(structure, finishing.map((k) => k.taskId));
  const states = reads.length === finishing.length ? new Map<string, TaskInstance>() : await store.tasks.latestTriesFor(dagId, runId, reads);
  return { reads: new Set(reads), states };
}
