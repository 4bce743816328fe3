/** Where Updraft's queues live. */
export interface QueueConnectionOptions {
  /** @defaultValue `$REDIS_URL`, else `redis://127.0.0.1:6379` */
  redisUrl?: string;
  /** Key prefix of every BullMQ key, so several installations share one Redis. @defaultValue `$UPDRAFT_REDIS_PREFIX`, else `updraft` */
  prefix?: string;
}

import type { TaskInstanceKey } from '../models/task-instance-key.ts';

/** A task job's payload: the try's key and the deployment it belongs to (ADR 11, docs/adr/0011-a-deployment-has-an-identity.md). */
export interface TaskJob extends TaskInstanceKey {
  deploymentId: string;
}

/** A task job's return value: the try's outcome, as BullMQ keeps it on the completed job. */
export interface TaskCompletion extends TaskInstanceKey {
  state: string;
  /** Downstream tries the worker's hand-off queued in the transaction that recorded this outcome. */
  queued: number;
}

/** What the scheduler hears, on its events queue, from the CLI and from workers. */
export type SchedulerEvent =
  /**
   * A worker's finish after which nothing else will look at the run (workers/scheduler-notices.ts):
   * its hand-off queued nothing and no other try waits to start. The run may be over.
   */
  | { type: 'task-finished'; dagId: string; runId: string; taskId: string }
  | { type: 'run-queued'; dagId: string; runId: string }
  | { type: 'tasks-cleared'; dagId: string; runId: string }
  /** Task instances or the run were set to a state from outside (`tasks set-state`, `dags set-state`). */
  | { type: 'tasks-marked'; dagId: string; runId: string }
  /** Paused/unpaused, or backfill runs queued: re-check the DAG's runs. */
  | { type: 'dag-changed'; dagId: string };
