import { undecidedTasks } from '../engine/execution/dag-run-evaluator.ts';
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
  /** The hand-off queued a try: its own finish looks at the run later. */
  queuedSome: boolean;
  /** Downstream joins (tasks with other upstream tasks too) the hand-off did not queue. */
  joins: readonly string[];
}

/**
 * Tells the scheduler of a finished try when nothing else will look at its
 * run again (the safety net of ADR 4, docs/adr/0004-hand-off-where-the-event-happens.md; asked for only when it has work).
 *
 * Two questions, both answered from a read made after the commit:
 *
 * - Is the run near its end? A finish whose hand-off queued nothing, and
 *   that is not up for retry, reads the run: a try waiting to start (`none`,
 *   `queued`) of another task than this one's downstream will finish later
 *   and look then. Of two tries finishing at once the later one sees both.
 * - Was a join left undecided? Two upstreams of one task finishing at once
 *   can each decide, from a read made before the other's commit, that the
 *   join still waits. The later of them reads the join's upstream after its
 *   commit and finds it decidable: the scheduler decides it. (A task with
 *   one upstream is decided by that upstream's own finish, with no race.)
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
  async afterFinish(ti: TaskInstance, outcome: FinishedTry, structure: DagStructure | null): Promise<void> {
    if (outcome.state === TaskInstanceState.UP_FOR_RETRY) return;
    const queued = new Set(outcome.queued.map((t) => t.taskId));
    const joins = (structure?.tasks.get(ti.taskId)?.downstream ?? []).filter((id) => !queued.has(id) && (structure!.tasks.get(id)?.upstream.length ?? 0) > 1);
    if (queued.size > 0 && joins.length === 0) return;
    if (!(await this.checks.call({ ti, structure, queuedSome: queued.size > 0, joins }))) return;
    await this.queues.notifyScheduler({ type: 'task-finished', dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId }).catch((err: unknown) =>
      this.log.warn({ err, dag_id: ti.dagId, run_id: ti.runId }, 'could not tell the scheduler of a finished run; its periodic pass will find it'));
  }

  /** Per finish: must the scheduler look at its run? At most two reads per run for the whole group. */
  private async lookNeeded(finishes: Finish[]): Promise<boolean[]> {
    const runs = new Map<string, Finish[]>();
    for (const f of finishes) {
      const key = runKeyString(f.ti.dagId, f.ti.runId);
      runs.set(key, [...(runs.get(key) ?? []), f]);
    }
    const look = new Set<string>();
    await Promise.all([...runs].map(async ([key, group]) => {
      if (await this.runNeedsLook(group).catch(() => true)) look.add(key);
    }));
    // One notice per run is enough: the scheduler's pass looks at all of it.
    return finishes.map(({ ti }) => look.delete(runKeyString(ti.dagId, ti.runId)));
  }

  private async runNeedsLook(group: Finish[]): Promise<boolean> {
    const { dagId, runId } = group[0]!.ti;
    if (group.some((f) => !f.structure)) return true;
    const structure = group[0]!.structure!;
    const joins = [...new Set(group.flatMap((f) => f.joins))];
    if (joins.length > 0) {
      const states = await this.store.tasks.latestTriesFor(dagId, runId, [...new Set(joins.flatMap((id) => [id, ...(structure.tasks.get(id)?.upstream ?? [])]))]);
      if (undecidedTasks(structure, joins, states).length > 0) return true;
    }
    const ending = group.filter((f) => !f.queuedSome);
    if (ending.length === 0) return false;
    const besides = new Set(ending.flatMap((f) => [f.ti.taskId, ...(structure.tasks.get(f.ti.taskId)?.downstream ?? [])]));
    if (besides.size > MAX_BESIDES) return true;
    return (await this.store.tasks.waitingToStart([{ dagId, runId, besides: [...besides] }])).size === 0;
  }
}
