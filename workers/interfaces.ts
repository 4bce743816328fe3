import type { QueueConnectionOptions } from '../engine/queue/interfaces.ts';

export interface TaskWorkerOptions extends QueueConnectionOptions {
  /** Updraft queues to take tasks from. @defaultValue `['default']` */
  queues?: string[];
  /**
   * This host's copy of the DAG folder. A task's DAG file is looked up here by
   * its path inside the folder that parsed it (Airflow's relative_fileloc), so
   * hosts need the same files, not the same paths.
   * @defaultValue `--dags-folder`, `$UPDRAFT_DAGS_FOLDER`, the project's `dags/` (engine/config/updraft-home.ts)
   */
  dagsFolder?: string;
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
  /**
   * How often the worker beats for its running tries: one statement touches
   * their heartbeat and finds those changed from outside (marked, run failed
   * or deleted), which it then terminates. Keep it well under
   * `UPDRAFT_ZOMBIE_THRESHOLD_SECONDS`.
   * @defaultValue `$UPDRAFT_WORKER_HEARTBEAT_SECONDS` seconds, else 2 s (at most a third of the lock duration, at least 0.5 s)
   */
  heartbeatIntervalMs?: number;
}
