import type { Logger } from '../engine/logging/logger.ts';
import { TaskInstanceState } from '../engine/models/states.ts';
import { runKeyString } from '../engine/models/task-instance-key.ts';
import type { TaskQueues } from '../engine/queue/task-queues.ts';
import type { Store } from '../engine/store/store.ts';
import type { TaskInstance } from '../engine/store/task-instance-repository.ts';
import type { FinishedTry } from '../engine/store/try-lifecycle.ts';
import { CallBatcher } from '../engine/utils/call-batcher.ts';

/** Beyond this many downstream tasks the check is skipped and the scheduler told: its query would list them all. */
const MAX_BESIDES = 1_000;

interface Finish {
  ti: TaskInstance;
  /** The task's direct downstream, or null when the DAG is not known here. */
  downstream: readonly string[] | null;
}

/**
 * Tells the scheduler of a finished try when nothing else will look at its
 * run again (decision 4's safety net, asked for only when it has work).
 *
 * A finish whose hand-off queued a try, or that is up for retry, needs no
 * look: that try's own finish comes later. Otherwise the run is read after
 * the commit: a try waiting to start (`none`, `queued`) of another task than
 * this one's downstream will finish later and look then. The read comes
 * after the commit, so of two tries finishing at once the later one sees
 * both. The downstream is left out of the read: two upstreams finishing at
 * once can each decide, from a read made before the other's commit, that
 * their join still waits; the scheduler decides it again.
 *
 * The scheduler hears only these (a job on its events queue), not every
 * completion: a wide run's 10,000 completions used to wake it 10,000 times.
 */
export class SchedulerNotices {
  private readonly checks: CallBatcher<Finish, boolean>;

  constructor(private readonly store: Store, private readonly queues: TaskQueues, private readonly log: Logger) {
    this.checks = new CallBatcher((finishes: Finish[]) => this.lookNeeded(finishes));
  }

  /** After the hand-off's commit; resolves once the scheduler is told (or need not be). */
  async afterFinish(ti: TaskInstance, outcome: FinishedTry, downstream: readonly string[] | null): Promise<void> {
    if (outcome.queued.length > 0 || outcome.state === TaskInstanceState.UP_FOR_RETRY) return;
    if (!(await this.checks.call({ ti, downstream }))) return;
    await this.queues.notifyScheduler({ type: 'task-finished', dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId }).catch((err: unknown) =>
      this.log.warn({ err, dag_id: ti.dagId, run_id: ti.runId }, 'could not tell the scheduler of a finished run; its periodic pass will find it'));
  }

  /** Per finish: must the scheduler look at its run? One read per run for the whole group. */
  private async lookNeeded(finishes: Finish[]): Promise<boolean[]> {
    const runs = new Map<string, { dagId: string; runId: string; besides: Set<string>; unknown: boolean }>();
    for (const { ti, downstream } of finishes) {
      const key = runKeyString(ti.dagId, ti.runId);
      const run = runs.get(key) ?? { dagId: ti.dagId, runId: ti.runId, besides: new Set<string>(), unknown: false };
      run.besides.add(ti.taskId);
      for (const id of downstream ?? []) run.besides.add(id);
      run.unknown ||= downstream === null || run.besides.size > MAX_BESIDES;
      runs.set(key, run);
    }
    const checked = [...runs.values()].filter((r) => !r.unknown).map((r) => ({ dagId: r.dagId, runId: r.runId, besides: [...r.besides] }));
    const waiting = await this.store.tasks.waitingToStart(checked).catch(() => new Set<string>());
    // One notice per run is enough: the scheduler's pass looks at all of it.
    const told = new Set<string>();
    return finishes.map(({ ti }) => {
      const key = runKeyString(ti.dagId, ti.runId);
      if (waiting.has(key) || told.has(key)) return false;
      told.add(key);
      return true;
    });
  }
}
