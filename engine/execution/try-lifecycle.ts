import { TaskInstanceState } from '../models/states.ts';
import { keyString, runKeyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { CallBatcher } from '../utils/call-batcher.ts';
import { chunks } from '../utils/chunks.ts';
import { finishGroupInOneStatement } from './one-statement-finish.ts';
import { formatLogLine } from './task-log-buffer.ts';
import { settleDownstream, type OutcomeChange } from './upstream-counting.ts';
import { settleTry, type FinishedTry, type FinishOptions, type SettledTry, type TryOwner } from './try-outcome.ts';

const RUNNING: readonly TaskInstanceState[] = [TaskInstanceState.RUNNING];
const STARTABLE: readonly TaskInstanceState[] = [TaskInstanceState.QUEUED, TaskInstanceState.SCHEDULED];

interface StartRequest {
  key: TaskInstanceKey;
  now: Date;
}

interface FinishRequest {
  ti: TaskInstance;
  run: DagRun;
  settled: SettledTry;
  options: FinishOptions;
  now: Date;
  resolve: (finished: FinishedTry) => void;
  reject: (error: unknown) => void;
}

/**
 * Records a group of finishes: one compare-and-set UPDATE per outcome (state,
 * error, from) for the whole group, one INSERT of their last log lines, one of
 * their XComs; then, per run, the branches' skips and the counted hand-off
 * of all of them together (settleDownstream: one statement adds to the
 * downstream counts, one applies the trigger rules' plans).
 */
async function finishGroup(store: Store, requests: readonly FinishRequest[]): Promise<FinishedTry[]> {
  const end = new Date(Math.max(...requests.map((r) => r.now.getTime())));
  const outcomes = new Map<string, FinishRequest[]>();
  for (const r of requests) {
    const kind = JSON.stringify([r.settled.state, r.settled.error, r.options.from ?? RUNNING]);
    outcomes.set(kind, [...(outcomes.get(kind) ?? []), r]);
  }
  const moved = new Set<string>();
  for (const group of outcomes.values()) {
    const { settled, options } = group[0]!;
    for (const key of await store.tasks.finishMany(
      group.map((r) => r.ti),
      options.from ?? RUNNING,
      settled.state,
      settled.error,
      end,
    ))
      moved.add(keyString(key));
  }
  // The same try finished twice in one group (a duplicate delivery) is recorded once, for its first request.
  const recorded = requests.filter((r) => moved.delete(keyString(r.ti)));
  const won = new Set(recorded);
  await store.logs.appendMany(
    recorded.flatMap((r) => (r.options.log ? [{ key: r.ti, ...r.options.log }] : [])),
    end,
  );
  await store.xcom.setMany(
    recorded
      .filter((r) => r.settled.state === TaskInstanceState.SUCCESS && r.settled.value !== undefined && r.settled.value !== null)
      .map((r) => ({ dagId: r.ti.dagId, runId: r.ti.runId, taskId: r.ti.taskId, value: r.settled.value })),
    end,
  );
  const queuedFor = new Map<FinishRequest, TaskInstance[]>();
  for (const group of byRun(recorded)) {
    // The whole group's outcomes, and the tasks its branches skipped, move their downstream counts together (ADR 13).
    const changes: OutcomeChange[] = group.map((r) => ({ taskId: r.ti.taskId, from: null, to: r.settled.state }));
    for (const r of group) {
      for (const batch of chunks(r.settled.skip)) {
        for (const taskId of await store.tasks.skipUndecided(r.ti.dagId, r.ti.runId, batch, end))
          changes.push({ taskId, from: null, to: TaskInstanceState.SKIPPED });
      }
    }
    // Without the DAG (deleted meanwhile) nothing downstream can be counted or decided.
    const structure = group.find((r) => r.options.structure)?.options.structure;
    if (!structure) continue;
    const { dagId, runId } = group[0]!.ti;
    const queued = await settleDownstream(store, structure, dagId, runId, { changes, queuedBy: group[0]!.options.queuedBy, at: end });
    // Each queued try goes to the hand-off of one finish upstream of it, else of the group's first (the enqueue is idempotent by job id).
    for (const ti of queued) {
      const upstream = structure.tasks.get(ti.taskId)?.upstream ?? [];
      const owner = group.find((r) => r.settled.state !== TaskInstanceState.UP_FOR_RETRY && upstream.includes(r.ti.taskId)) ?? group[0]!;
      queuedFor.set(owner, [...(queuedFor.get(owner) ?? []), ti]);
    }
  }
  return requests.map((r) => ({ ...r.settled, recorded: won.has(r), queued: queuedFor.get(r) ?? [] }));
}

function byRun<T extends { ti: TaskInstanceKey }>(requests: readonly T[]): T[][] {
  const runs = new Map<string, T[]>();
  for (const r of requests) {
    const key = runKeyString(r.ti.dagId, r.ti.runId);
    runs.set(key, [...(runs.get(key) ?? []), r]);
  }
  return [...runs.values()];
}

/** One UPDATE for every first try of the group; a retry whose row is not there yet is opened from its predecessor. */
async function startGroup(store: Store, requests: readonly StartRequest[], owner: TryOwner): Promise<Array<TaskInstance | undefined>> {
  const now = requests[0]!.now;
  const patch = { start_date: now.toISOString(), hostname: owner.hostname, worker_id: owner.workerId, end_date: null, error: null };
  const started = new Map<string, TaskInstance>();
  for (const ti of await store.tasks.transitionManyReturning(
    requests.map((r) => r.key),
    STARTABLE,
    TaskInstanceState.RUNNING,
    patch,
    now,
  ))
    started.set(keyString(ti), ti);
  const results: Array<TaskInstance | undefined> = [];
  for (const { key } of requests) {
    let ti = started.get(keyString(key));
    if (
      !ti &&
      key.tryNumber > 1 &&
      (await store.tasks.openNextTry(key, [TaskInstanceState.UP_FOR_RETRY], TaskInstanceState.RUNNING, patch, now))
    ) {
      ti = await store.tasks.get(key);
    }
    // The same try asked twice in one group (a duplicate delivery) starts once.
    if (ti) started.delete(keyString(key));
    results.push(ti);
  }
  return results;
}

/**
 * The life of one try in the store, shared by workers, their isolated
 * children, the scheduler's reconciler and `dags test`: every transition is a
 * compare-and-set, and a finish records state, log, XCom, skips and the
 * downstream hand-off in one transaction (batched with the other small writes
 * of the same turn of the event loop, see {@link Store.batch}).
 */
export class TryLifecycle {
  /** Starts by owner: those asked for in one turn of the event loop share one UPDATE. */
  private readonly starts = new Map<string, CallBatcher<StartRequest, TaskInstance | undefined>>();
  /** Finishes asked for while their batch has not run yet: their state changes, logs and XComs share statements. */
  private openFinishes: FinishRequest[] | null = null;
  /** PostgreSQL: finishes asked for in one turn of the event loop, in one statement where they can. */
  private readonly oneStatementFinishes = new CallBatcher((requests: FinishRequest[]) =>
    finishGroupInOneStatement(this.store, requests, new Date(Math.max(...requests.map((r) => r.now.getTime())))),
  );

  constructor(private readonly store: Store) {}

  /**
   * Moves the try to `running` and returns it: a first (or cleared) try from
   * `queued` (or a legacy `scheduled`), a retry by opening its row from the
   * previous try's `up_for_retry`. Undefined: another process owns it.
   * Starts asked for in the same turn of the event loop move in one
   * statement (a worker taking many jobs at once). That statement commits on
   * its own, outside any transaction: each start is one compare-and-set row
   * change that needs no other write beside it, so on PostgreSQL a start is
   * one round trip instead of four (BEGIN, the UPDATE, COMMIT).
   */
  tryStarted(key: TaskInstanceKey, owner: TryOwner, now: Date): Promise<TaskInstance | undefined> {
    return this.start({ key, now }, owner);
  }

  private start(request: StartRequest, owner: TryOwner): Promise<TaskInstance | undefined> {
    let starts = this.starts.get(owner.workerId);
    if (!starts) {
      starts = new CallBatcher((requests: StartRequest[]) => startGroup(this.store, requests, owner));
      this.starts.set(owner.workerId, starts);
    }
    return starts.call(request);
  }

  /**
   * Records a settled try (compare-and-set from `running`), and in the same
   * transaction evaluates its downstream with the one trigger-rule evaluator,
   * queueing what became ready; on PostgreSQL usually in one statement, the
   * decision made just before it (see finishGroupInOneStatement). Enqueue
   * {@link FinishedTry.queued} (and the retry) right after: if this process
   * dies in between, the scheduler's reconciliation finds queued tries without
   * a job and enqueues them.
   */
  finishTry(ti: TaskInstance, run: DagRun, settled: SettledTry, options: FinishOptions, now: Date): Promise<FinishedTry> {
    return new Promise((resolve, reject) => {
      const request: FinishRequest = { ti, run, settled, options, now, resolve, reject };
      if (this.store.dialect !== 'postgres' || this.store.inTransaction) return this.finishInBatch([request]);
      // Null: this finish takes the transactional path (and all of its group's if the statement failed: it then wrote nothing).
      this.oneStatementFinishes.call(request).then(
        (finished) => (finished ? resolve(finished) : this.finishInBatch([request])),
        () => this.finishInBatch([request]),
      );
    });
  }

  private finishInBatch(incoming: FinishRequest[]): void {
    if (this.openFinishes) {
      this.openFinishes.push(...incoming);
      return;
    }
    const requests = [...incoming];
    this.openFinishes = requests;
    this.store
      .batch(async ({ store }) => {
        // Finishes asked for after this point form the next group; a re-run (see WriteBatcher) replays this one.
        if (this.openFinishes === requests) this.openFinishes = null;
        return finishGroup(store, requests);
      })
      .then(
        (results) => {
          for (const [i, r] of requests.entries()) r.resolve(results[i]!);
        },
        (error: unknown) => {
          for (const r of requests) r.reject(error);
        },
      );
  }

  /**
   * Fails a try whose process is gone or never ran it (a worker killed
   * mid-task, a stalled job, a task stuck in queued, a child that died): the
   * same retry rules as a task's own failure, and the reason in its log.
   * Failure callbacks do not run: the task's code is not loaded here.
   */
  async failLostTry(ti: TaskInstance, run: DagRun, message: string, options: FinishOptions, now: Date): Promise<FinishedTry> {
    const settled = settleTry(ti, { kind: 'failed', error: message, retryable: true }, run.logicalDate);
    const finished = await this.finishTry(ti, run, settled, { ...options, log: null }, now);
    if (finished.recorded) {
      const lines = [
        formatLogLine(ti.taskId, 'ERROR', message, now),
        formatLogLine(ti.taskId, 'INFO', `Marking task as ${settled.state.toUpperCase()}`, now),
      ];
      await this.store.logs.appendAfterLast(ti, `${lines.join('\n')}\n`, now);
    }
    return finished;
  }

  /**
   * Gives a running try back to the queue (its worker is shutting down): the
   * same try runs again elsewhere and no retry is spent.
   */
  handBackTry(ti: TaskInstance, now: Date): Promise<boolean> {
    const patch = { start_date: null, end_date: null, hostname: null, worker_id: null, queued_at: now.toISOString() };
    return this.store.tasks.transition(ti, RUNNING, TaskInstanceState.QUEUED, patch, now);
  }
}

const lifecycles = new WeakMap<Store, TryLifecycle>();

/**
 * The try lifecycle of `store`: one per Store (and per view of one on an open
 * transaction), so the starts and finishes every caller of a process asks for
 * in one turn of the event loop share their statements.
 */
export function tryLifecycleOf(store: Store): TryLifecycle {
  let lifecycle = lifecycles.get(store);
  if (!lifecycle) {
    lifecycle = new TryLifecycle(store);
    lifecycles.set(store, lifecycle);
  }
  return lifecycle;
}
