import type { TaskInstanceState } from './states.ts';
import type { TaskInstanceKey } from './task-instance-key.ts';
import type { TriggerRule } from './trigger-rule.ts';
import type { TriggerRulePlan } from './trigger-rule-plan.ts';

/**
 * A group of try finishes with their downstream hand-off, as a plain value
 * made by execution (engine/execution/one-statement-finish.ts) from the DAG's
 * structure and the one evaluator's plans: PostgreSQL records it in one
 * statement (engine/store/postgres-finish.ts), which counts and applies the
 * plans and decides nothing of its own.
 */
export interface FinishPlan {
  finishes: PlannedFinish[];
  /** The edges from each finishing task that has an outcome to its direct downstream tasks: the counts they add to. */
  edges: DownstreamEdge[];
  /** The plans of the downstream tasks' trigger rules. */
  plans: TriggerRulePlan[];
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

/** `taskId` (a finishing task of the run) is a direct upstream of `downstreamTaskId`, whose trigger rule is `rule`. */
export interface DownstreamEdge {
  dagId: string;
  runId: string;
  taskId: string;
  downstreamTaskId: string;
  rule: TriggerRule;
}
