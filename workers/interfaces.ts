import type { QueueConnectionOptions } from '../engine/queue/interfaces.ts';

export interface TaskWorkerOptions extends QueueConnectionOptions {
  /** Updraft queues to take tasks from. @defaultValue `['default']` */
  queues?: string[];
  /** Tasks run at once by this process (per queue). @defaultValue `4` */
  concurrency?: number;
  /**
   * How long a worker's lock on a task lasts without renewal; a worker that
   * dies (SIGKILL) loses its tasks to another worker after about this long.
   * @defaultValue `$UPDRAFT_WORKER_LOCK_SECONDS` seconds, else 30 s
   */
  lockDurationMs?: number;
  /** After SIGTERM, running tasks get this long to finish before they are handed back. @defaultValue `$UPDRAFT_WORKER_GRACE_SECONDS`, else 30 s */
  shutdownGraceMs?: number;
}
