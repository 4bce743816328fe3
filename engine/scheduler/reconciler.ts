import { retryDelayMs } from '../models/retry-delay.ts';
import type { Logger } from '../logging/logger.ts';
import type { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, TaskInstanceState } from '../models/states.ts';
import { runKeyString } from '../models/task-instance-key.ts';
import { tryLifecycleOf } from '../execution/try-lifecycle.ts';
import type { TaskQueues } from '../queue/task-queues.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import type { Clock } from '../utils/clock.ts';
import { enqueueTries } from './dispatch.ts';

/**
 * A try queued this recently is not checked against Redis yet: its enqueue may
 * still be on its way (a scheduler adding thousands of tries slice by slice, a
 * worker between its commit and its add), and "no job" would be a false alarm.
 */
const QUEUED_GRACE_MS = 3_000;

export interface ReconcileContext {
  store: Store;
  queues: TaskQueues;
  clock: Clock;
  log: Logger;
  taskQueuedTimeoutMs: number;
  zombieThresholdMs: number;
  structureOf(dagId: string): Promise<DagStructure | undefined>;
  /** `queued_by` of downstream tries queued when a lost try is failed here. */
  queuedBy: string;
}

/**
 * The store is the source of truth: for every unfinished try of a running
 * run, make Redis agree with it. Re-enqueues queued tries whose job is
 * missing (a worker that died between committing a hand-off and enqueueing
 * it, a Redis FLUSHALL) or already finished without moving the try (a
 * consumer that swallowed it: the job is removed and added again under its
 * id), fails tries stuck in queued, and re-adds lost retry jobs. Tries left
 * `scheduled` by an older version are queued by the run pass that follows.
 * Returns the runs whose state changed, to be advanced.
 */
export async function reconcile(ctx: ReconcileContext): Promise<Set<string>> {
  const { store, queues, clock, log } = ctx;
  const now = clock.now();
  const touched = new Set<string>();
  const runs = new Map<string, DagRun | undefined>();
  const runOf = async (ti: TaskInstance) => {
    const k = runKeyString(ti.dagId, ti.runId);
    if (!runs.has(k)) runs.set(k, await store.runs.get(ti.dagId, ti.runId));
    return runs.get(k);
  };
  const tries = await store.tasks.latestInStates([TaskInstanceState.QUEUED, TaskInstanceState.RUNNING, TaskInstanceState.UP_FOR_RETRY]);
  const requeue: TaskInstance[] = [];
  const queued: TaskInstance[] = [];

  for (const ti of tries) {
    const run = await runOf(ti);
    // A run a local process executes (dags test, backfill) has no jobs in Redis to reconcile.
    if (!run || run.state !== DagRunState.RUNNING || run.executor) continue;
    const fields = { dag_id: ti.dagId, run_id: ti.runId, task_id: ti.taskId, try_number: ti.tryNumber };
    const settle = async (message: string, from: TaskInstanceState): Promise<void> => {
      if (await failLost(ctx, ti, run, message, from, now)) touched.add(runKeyString(ti.dagId, ti.runId));
    };

    if (ti.state === TaskInstanceState.QUEUED) {
      const queuedFor = now.getTime() - new Date(ti.queuedAt ?? ti.updatedAt).getTime();
      if (queuedFor > ctx.taskQueuedTimeoutMs) {
        await queues.removeJob(ti.queue, ti);
        await settle(
          `task stuck in queued for ${Math.round(queuedFor / 1000)}s (task_queued_timeout ${ctx.taskQueuedTimeoutMs / 1000}s): is a worker consuming queue '${ti.queue}'?`,
          TaskInstanceState.QUEUED,
        );
      } else if (queuedFor >= QUEUED_GRACE_MS) {
        queued.push(ti);
      }
    } else if (ti.state === TaskInstanceState.UP_FOR_RETRY) {
      if ((await queues.jobState(ti.queue, { ...ti, tryNumber: ti.tryNumber + 1 })) === 'unknown') {
        const delay = retryDelayMs(ti.retryPolicy, ti.tryNumber, { dagId: ti.dagId, taskId: ti.taskId, logicalDate: run.logicalDate });
        const remaining = new Date(ti.endDate ?? ti.updatedAt).getTime() + delay - now.getTime();
        log.warn({ ...fields, delay_ms: Math.max(0, remaining) }, 'retry job missing from Redis: adding it again');
        await queues.enqueueRetry(ti, remaining);
      }
    }
  }
  const byQueue = new Map<string, TaskInstance[]>();
  for (const ti of queued) byQueue.get(ti.queue)?.push(ti) ?? byQueue.set(ti.queue, [ti]);
  for (const [queue, group] of byQueue) {
    const presence = await queues.jobPresence(queue, group);
    const suspects = await stillQueued(
      store,
      group.filter((_, i) => presence[i] !== 'pending'),
    );
    for (const [i, ti] of group.entries()) {
      if (!suspects.has(ti)) continue;
      const fields = { dag_id: ti.dagId, run_id: ti.runId, task_id: ti.taskId, try_number: ti.tryNumber };
      if (presence[i] === 'missing') {
        log.warn(fields, 'queued try has no job in Redis: enqueueing it again');
        requeue.push(ti);
      } else if (presence[i] === 'finished') {
        log.warn(fields, 'queued try whose job already finished (swallowed by a consumer that did not run it): enqueueing it again');
        await queues.removeJob(queue, ti);
        requeue.push(ti);
      }
    }
  }
  await enqueueTries(queues, requeue);
  return touched;
}

/**
 * Airflow's zombie check: a running try whose heartbeat is older than the
 * threshold has lost its worker (killed, host gone). Its worker beats from
 * a thread of its own, so a busy one (a task blocking its event loop) keeps
 * beating and is never taken for lost. The try is failed per its retries
 * and the retry enqueued; the dead worker's BullMQ job, once its lock
 * lapses, finds the try no longer running and is let go. Returns the runs
 * whose state changed, to be advanced.
 */
export async function failZombies(ctx: ReconcileContext): Promise<Set<string>> {
  const now = ctx.clock.now();
  const touched = new Set<string>();
  for (const ti of await ctx.store.tasks.runningSilentSince(new Date(now.getTime() - ctx.zombieThresholdMs))) {
    const run = await ctx.store.runs.get(ti.dagId, ti.runId);
    // A local run's tries beat from the process running them, which the scheduler does not watch (see run-endings.ts).
    if (!run || run.state !== DagRunState.RUNNING || run.executor) continue;
    const silentFor = Math.round((now.getTime() - new Date(ti.updatedAt).getTime()) / 1000);
    const message = `task's worker ${ti.workerId ?? '?'} was lost (no heartbeat for ${silentFor}s, threshold ${ctx.zombieThresholdMs / 1000}s)`;
    if (await failLost(ctx, ti, run, message, TaskInstanceState.RUNNING, now)) touched.add(runKeyString(ti.dagId, ti.runId));
  }
  return touched;
}

/** Fails a try found lost or stuck (compare-and-set from `from`) and enqueues its retry or downstream; false when another process moved it first. */
async function failLost(
  ctx: ReconcileContext,
  ti: TaskInstance,
  run: DagRun,
  message: string,
  from: TaskInstanceState,
  now: Date,
): Promise<boolean> {
  const structure = (await ctx.structureOf(ti.dagId)) ?? null;
  const outcome = await tryLifecycleOf(ctx.store).failLostTry(ti, run, message, { structure, queuedBy: ctx.queuedBy, from: [from] }, now);
  if (!outcome.recorded) return false;
  ctx.log.warn({ dag_id: ti.dagId, run_id: ti.runId, task_id: ti.taskId, try_number: ti.tryNumber, state: outcome.state }, message);
  await ctx.queues.handOff(ti, outcome);
  return true;
}

/**
 * Redis is read after the store: a try that a worker started and finished in
 * between has a finished (or removed) job and is no longer queued. Only a try
 * still queued as it was, after Redis said its job is gone, was swallowed.
 * One read per run, however many tries finished meanwhile.
 */
async function stillQueued(store: Store, tries: readonly TaskInstance[]): Promise<Set<TaskInstance>> {
  const byRun = new Map<string, TaskInstance[]>();
  for (const ti of tries) {
    const run = runKeyString(ti.dagId, ti.runId);
    byRun.get(run)?.push(ti) ?? byRun.set(run, [ti]);
  }
  const still = new Set<TaskInstance>();
  for (const group of byRun.values()) {
    const now = await store.tasks.latestTriesFor(
      group[0]!.dagId,
      group[0]!.runId,
      group.map((ti) => ti.taskId),
    );
    for (const ti of group) {
      const current = now.get(ti.taskId);
      if (current?.tryNumber === ti.tryNumber && current.state === TaskInstanceState.QUEUED && current.queuedAt === ti.queuedAt)
        still.add(ti);
    }
  }
  return still;
}
