import type { QueueConnectionOptions } from '../queue/interfaces.ts';
import type { Clock } from '../utils/clock.ts';
import { zombieThresholdMs } from '../execution/try-terminator.ts';

export interface SchedulerOptions extends QueueConnectionOptions {
  /** The DAG folder. @defaultValue `$UPDRAFT_DAGS_FOLDER`, else the project's `dags/`, else `$UPDRAFT_HOME/dags` */
  dagsFolder?: string;
  /** Source of "now"; tests pin it. @defaultValue `$UPDRAFT_NOW` if set, else the system clock */
  clock?: Clock;
  /** How often schedules are checked for due runs. @defaultValue 1000 ms */
  tickMs?: number;
  /** Full re-parse of the DAG folder (changes are also watched). @defaultValue `$UPDRAFT_DAG_DIR_LIST_INTERVAL` s, else 30 s */
  dagDirListIntervalMs?: number;
  /** Safety-net pass over the store and Redis. @defaultValue `$UPDRAFT_RECONCILE_SECONDS` s, else 10 s */
  reconcileIntervalMs?: number;
  /** A try queued longer than this is failed (and retried per its retries), as Airflow's `task_queued_timeout`. @defaultValue `$UPDRAFT_TASK_QUEUED_TIMEOUT` s, else 600 s */
  taskQueuedTimeoutMs?: number;
  /**
   * A running try whose heartbeat is older than this has lost its worker (Airflow's
   * zombie threshold): it is failed per its retries. Keep it a few worker heartbeats
   * (`$UPDRAFT_WORKER_HEARTBEAT_SECONDS`, 2 s) long.
   * @defaultValue `$UPDRAFT_ZOMBIE_THRESHOLD_SECONDS` s, else 7 s
   */
  zombieThresholdMs?: number;
  /** How often running tries are checked for a stale heartbeat. @defaultValue 1000 ms */
  zombieCheckMs?: number;
}

const fromEnv = (name: string, fallbackMs: number): number => (process.env[name] ? Number(process.env[name]) * 1000 : fallbackMs);

export function resolveSchedulerTimings(o: SchedulerOptions) {
  return {
    tickMs: o.tickMs ?? 1000,
    dagDirListIntervalMs: o.dagDirListIntervalMs ?? fromEnv('UPDRAFT_DAG_DIR_LIST_INTERVAL', 30_000),
    reconcileIntervalMs: o.reconcileIntervalMs ?? fromEnv('UPDRAFT_RECONCILE_SECONDS', 10_000),
    taskQueuedTimeoutMs: o.taskQueuedTimeoutMs ?? fromEnv('UPDRAFT_TASK_QUEUED_TIMEOUT', 600_000),
    zombieThresholdMs: o.zombieThresholdMs ?? zombieThresholdMs(),
    zombieCheckMs: o.zombieCheckMs ?? 1000,
  };
}
