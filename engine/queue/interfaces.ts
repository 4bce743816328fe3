/** Where Updraft's queues live. */
export interface QueueConnectionOptions {
  /** @defaultValue `$REDIS_URL`, else `redis://127.0.0.1:6379` */
  redisUrl?: string;
  /** Key prefix of every BullMQ key, so several installations share one Redis. @defaultValue `$UPDRAFT_REDIS_PREFIX`, else `updraft` */
  prefix?: string;
}

import type { TaskInstanceKey } from '../models/task-instance-key.ts';

/** A task job's payload: the try's key and the deployment it belongs to (decision 11). */
export interface TaskJob extends TaskInstanceKey {
  deploymentId: string;
}

/**
 * A task job's return value: the try's outcome. The scheduler reads it from
 * the queue's `completed` events (BullMQ QueueEvents) and re-checks the run
 * (its safety-net pass; the worker has already queued the downstream).
 */
export interface TaskCompletion extends TaskInstanceKey {
  state: string;
  /** Downstream tries the worker's hand-off queued in the transaction that recorded this outcome. */
  queued: number;
}

/** What the scheduler hears from the CLI (task completions come as QueueEvents). */
export type SchedulerEvent =
  | { type: 'run-queued'; dagId: string; runId: string }
  | { type: 'tasks-cleared'; dagId: string; runId: string }
  /** Task instances or the run were set to a state from outside (`tasks set-state`, `dags set-state`). */
  | { type: 'tasks-marked'; dagId: string; runId: string }
  /** Paused/unpaused, or backfill runs queued: re-check the DAG's runs. */
  | { type: 'dag-changed'; dagId: string };
