import type { FinishedTry } from '../engine/execution/try-outcome.ts';
import type { Logger } from '../engine/logging/logger.ts';
import type { DagStructure } from '../engine/models/dag-spec.ts';
import { TaskInstanceState } from '../engine/models/states.ts';
import { runKeyString } from '../engine/models/task-instance-key.ts';
import type { TaskQueues } from '../engine/queue/task-queues.ts';
import type { Store } from '../engine/store/store.ts';
import type { TaskInstance } from '../engine/store/task-instance-repository.ts';
import { CallBatcher } from '../engine/utils/call-batcher.ts';

/** Beyond this many downstream tasks the check is skipped and the scheduler told: its query would list them all. */
const MAX_BESIDES = 1_000;

interface Finish {
  ti: TaskInstance;
  /** The DAG as the worker ran it, or null when it is not known here. */
  structure: DagStructure | null;
}

/**
 * Tells the scheduler of a finished try when nothing else will look at its
 * run again (the safety net of ADR 4, docs/adr/0004-hand-off-where-the-event-happens.md; asked for only when it has work).
 *
 * Is the run near its end? A finish whose hand-off queued nothing, and that
 * is not up for retry, reads the run after its commit: a try waiting to
 * start (`none`, `queued`) of another task than this one's downstream will
 * finish later and look then. Of two tries finishing at once the later one
 * sees both. A join needs no look: its upstreams' finishes add to its
 * counts row one after the other, and the last one decides it (ADR 13).
 *
 * The scheduler hears only these (a job on its events queue), not every
 * completion: a wide run's 10,000 completions used to wake it 10,000 times.
 */
export class SchedulerNotices {
  private readonly checks: CallBatcher<Finish, boolean>;

  constructor(
    private readonly store: Store,
    private readonly queues: TaskQueues,
    private readonly log: Logger,
  ) {
    this.checks = new CallBatcher((finishes: Finish[]) => this.lookNeeded(finishes));
  }

  /** After the hand-off's commit; resolves once the scheduler is told (or need not be). */
  async afterFinish(ti: TaskInstance, outcome: FinishedTry, structure: DagStructure | null): Promise<void> {
    if (outcome.state === TaskInstanceState.UP_FOR_RETRY) return;
    // The hand-off queued a try: its own finish looks at the run later.
    if (outcome.queued.length > 0) return;
    if (!(await this.checks.call({ ti, structure }))) return;
    await this.queues
      .notifyScheduler({ type: 'task-finished', dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId })
      .catch((err: unknown) =>
        this.log.warn(
          { err, dag_id: ti.dagId, run_id: ti.runId },
          'could not tell the scheduler of a finished run; its periodic pass will find it',
        ),
      );
  }

  /** Per finish: must the scheduler look at its run? At most two reads per run for the whole group. */
  private async lookNeeded(finishes: Finish[]): Promise<boolean[]> {
    const runs = new Map<string, Finish[]>();
    for (const f of finishes) {
      const key = runKeyString(f.ti.dagId, f.ti.runId);
      runs.set(key, [...(runs.get(key) ?? []), f]);
    }
    const look = new Set<string>();
    await Promise.all(
      [...runs].map(async ([key, group]) => {
        if (await this.runNeedsLook(group).catch(() => true)) look.add(key);
      }),
    );
    // One notice per run is enough: the scheduler's pass looks at all of it.
    return finishes.map(({ ti }) => look.delete(runKeyString(ti.dagId, ti.runId)));
  }

  private async runNeedsLook(group: Finish[]): Promise<boolean> {
    const { dagId, runId } = group[0]!.ti;
    if (group.some((f) => !f.structure)) return true;
    const structure = group[0]!.structure!;
    const besides = new Set(group.flatMap((f) => [f.ti.taskId, ...(structure.tasks.get(f.ti.taskId)?.downstream ?? [])]));
    if (besides.size > MAX_BESIDES) return true;
    return (await this.store.tasks.waitingToStart([{ dagId, runId, besides: [...besides] }])).size === 0;
  }
}
