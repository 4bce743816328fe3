import { hostname } from 'node:os';
import { localExecutorPid } from '../execution/local-executor.ts';
import type { Logger } from '../logging/logger.ts';
import type { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, NOT_FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import { recordOutcomeChanges, type OutcomeChange } from '../execution/upstream-counting.ts';

/** What ending runs from the scheduler needs. */
export interface RunEndContext {
  store: Store;
  log: Logger;
  structureOf(dagId: string): Promise<DagStructure | undefined>;
}

/** True while a process with this pid exists (EPERM: it exists, under another user). */
const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

/** Fails a run (compare-and-set) and skips its unfinished tries. */
async function failRun(ctx: RunEndContext, run: DagRun, now: Date, message: string, fields: Record<string, unknown>): Promise<void> {
  // One transaction: no reader ever sees the run failed while its tasks still run.
  const structure = await ctx.structureOf(run.dagId);
  const failed = await ctx.store.atomically(async (store) => {
    if (!(await store.runs.transition(run.dagId, run.runId, [DagRunState.QUEUED, DagRunState.RUNNING], DagRunState.FAILED, now)))
      return false;
    const skipped: OutcomeChange[] = [];
    for (const ti of (await store.tasks.latestTries(run.dagId, run.runId)).values()) {
      if (!NOT_FINISHED_TASK_STATES.includes(ti.state)) continue;
      if (await store.tasks.transition(ti, [ti.state], TaskInstanceState.SKIPPED, { end_date: now.toISOString() }, now))
        skipped.push({ taskId: ti.taskId, from: ti.state, to: TaskInstanceState.SKIPPED });
    }
    // A run cleared later decides from these counts: they move with the skips (ADR 13).
    if (structure) await recordOutcomeChanges(store, structure, run.dagId, run.runId, skipped);
    return true;
  });
  if (!failed) return;
  ctx.log.warn({ dag_id: run.dagId, run_id: run.runId, ...fields }, message);
}

/** Fails the scheduler's runs that ran past their DAG's `dagrunTimeout`. */
export async function timeOutRuns(ctx: RunEndContext, now: Date): Promise<void> {
  for (const run of await ctx.store.runs.listByState([DagRunState.RUNNING])) {
    // A run a local process executes (dags test, backfill) is that process's to end.
    if (run.executor) continue;
    const spec = (await ctx.structureOf(run.dagId))?.spec;
    if (!spec?.dagrunTimeoutMs || !run.startDate) continue;
    if (now.getTime() - new Date(run.startDate).getTime() <= spec.dagrunTimeoutMs) continue;
    await failRun(ctx, run, now, 'run timed out (dagrunTimeout): failed, unfinished tasks skipped', { timeout_ms: spec.dagrunTimeoutMs });
  }
}

/**
 * A run executed by a local process (`dags test`, `dags backfill`) on this
 * host whose process is gone would stay running forever: every run must
 * reach a terminal state, so it fails, its unfinished tasks skipped.
 */
export async function failOrphanedLocalRuns(ctx: RunEndContext, now: Date): Promise<void> {
  for (const run of await ctx.store.runs.listByState([DagRunState.QUEUED, DagRunState.RUNNING])) {
    const pid = run.executor ? localExecutorPid(run.executor, hostname()) : null;
    if (pid === null || processAlive(pid)) continue;
    await failRun(ctx, run, now, `the process that executed this run (${run.executor}) is gone: failed, unfinished tasks skipped`, {
      executor: run.executor,
    });
  }
}
