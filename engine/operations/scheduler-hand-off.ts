import { UpdraftError } from '../models/errors.ts';
import { FINISHED_DAG_RUN_STATES, type DagRunState } from '../models/states.ts';
import type { DagRow } from '../store/dag-repository.ts';
import { isAlive, SCHEDULER_HEALTH_THRESHOLD_MS } from '../store/small-repositories.ts';
import type { Store } from '../store/store.ts';

/**
 * Runs handed to the scheduler (`dags backfill --via-scheduler`) and a process
 * that waits for them. The waiter never hangs: it watches what must be alive
 * for the runs to move — a scheduler (starts them), a worker (runs their
 * tasks), an unpaused DAG — and stops with one line when one is missing.
 */

/** Nobody will move the handed-over runs: no live scheduler or worker, or the DAG is paused. */
export class HandOffError extends UpdraftError {}

const since = (job: { latestHeartbeat: string } | undefined): string => (job ? `last heartbeat ${job.latestHeartbeat}` : 'none ever');

/** Throws HandOffError unless a live scheduler would start the DAG's queued runs now. */
export async function assertSchedulerTakesRuns(store: Store, dag: DagRow, now: Date = new Date()): Promise<void> {
  if (dag.isPaused)
    throw new HandOffError(
      `DAG '${dag.dagId}' is paused, so the scheduler starts none of its runs: 'updraft dags unpause ${dag.dagId}' first, or backfill here without --via-scheduler`,
    );
  const scheduler = await store.schedulerJobs.latest('SchedulerJob');
  if (!scheduler || !isAlive(scheduler, now)) {
    throw new HandOffError(
      `no scheduler has a heartbeat in the last ${SCHEDULER_HEALTH_THRESHOLD_MS / 1000} s (${since(scheduler)}): start 'updraft scheduler', or backfill here without --via-scheduler; no run was created`,
    );
  }
}

export interface WaitForRunsOptions {
  /** After each poll, with the number of finished runs. */
  onProgress?: (finished: number) => void;
  /** @defaultValue 500 ms */
  pollMs?: number;
  /** How long after the wait begins a scheduler or worker must be alive (one that just started may not have beaten yet). @defaultValue 30 s */
  graceMs?: number;
}

/**
 * Waits until every run is finished and returns their states. Throws
 * HandOffError (the runs stay the scheduler's) once the DAG is paused, or,
 * from `graceMs` on, when no scheduler or no worker is alive.
 */
export async function waitForSchedulerRuns(
  store: Store,
  dagId: string,
  runIds: readonly string[],
  options: WaitForRunsOptions = {},
): Promise<Map<string, DagRunState>> {
  const pollMs = options.pollMs ?? 500;
  const graceMs = options.graceMs ?? SCHEDULER_HEALTH_THRESHOLD_MS;
  const states = new Map<string, DagRunState>();
  const began = Date.now();
  for (;;) {
    for (const runId of runIds) {
      if (states.has(runId)) continue;
      const run = await store.runs.get(dagId, runId);
      if (run && FINISHED_DAG_RUN_STATES.has(run.state)) states.set(runId, run.state);
    }
    options.onProgress?.(states.size);
    if (states.size === runIds.length) return states;
    const unfinished = `${runIds.length - states.size} of ${runIds.length} run(s) unfinished stay with the scheduler`;
    if ((await store.dags.get(dagId))?.isPaused)
      throw new HandOffError(`stopped waiting: DAG '${dagId}' was paused; ${unfinished} and go on when it is unpaused`);
    // A job counts as gone once its heartbeat is stale (isAlive); one that never beat gets graceMs from the start.
    for (const [type, what] of [
      ['SchedulerJob', 'scheduler'],
      ['WorkerJob', 'worker'],
    ] as const) {
      const job = await store.schedulerJobs.latest(type);
      if (job && isAlive(job)) continue;
      if (Date.now() - began >= graceMs)
        throw new HandOffError(
          `stopped waiting: no ${what} has a heartbeat (${since(job)}); ${unfinished} and go on when 'updraft ${what}' runs`,
        );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
