import type { TaskInstanceState } from './states.ts';
import type { TaskInstanceKey } from './task-instance-key.ts';

/**
 * A group of try finishes with their downstream hand-off, decided by
 * execution (engine/execution/one-statement-finish.ts) and handed to the store
 * as a plain value: PostgreSQL records it in one statement
 * (engine/store/postgres-finish.ts), which applies the decision and makes none.
 */
export interface FinishPlan {
  finishes: PlannedFinish[];
  handOff: HandOffPlan;
  /** `queued_by` of the downstream tries the hand-off queues. */
  queuedBy: string;
  /** The finishes' end date, and the time of every row the statement writes. */
  at: Date;
}

/** One try's finish: a compare-and-set from `running` to `state`, with its last log lines and its XCom. */
export interface PlannedFinish {
  key: TaskInstanceKey;
  state: TaskInstanceState;
  error: string | null;
  /** The try's last log lines, written only if the finish is recorded. */
  log: { chunk: number; content: string } | null;
  /** Pushed as the try's `return_value` XCom (only if the finish is recorded); undefined: none. */
  returnValue?: unknown;
}

/**
 * What the trigger rules decided downstream of the finishes, and what that
 * decision was read from. Only "queue these": a decision to skip or fail a
 * downstream task is not made ahead of the finish (it is taken in the
 * finish's transaction instead).
 */
export interface HandOffPlan {
  queue: HandOffTarget[];
  /** Tries the decision was read from: nothing is queued unless each is still as read. */
  premises: HandOffPremise[];
}

/** A downstream try to move from `none` to `queued`, only if every try in `after` is recorded by the same statement. */
export interface HandOffTarget {
  key: TaskInstanceKey;
  after: readonly TaskInstanceKey[];
}

/**
 * A task's try the decision was made from, as the trigger rules see it: its
 * finished state, or `unfinished` (queued, running, a retry: to the rules all
 * alike).
 */
export interface HandOffPremise {
  dagId: string;
  runId: string;
  taskId: string;
  state: TaskInstanceState | 'unfinished';
}
