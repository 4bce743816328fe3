import { advanceDagRun } from '../execution/dag-run-evaluator.ts';
import { formatLogLine } from '../execution/task-log-buffer.ts';
import type { DagStructure } from '../models/dag-spec.ts';
import { retryDelayMs } from '../models/retry-delay.ts';
import { TaskInstanceState } from '../models/states.ts';
import { keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import { chunks } from '../utils/chunks.ts';
import { finishInOneStatement } from './postgres-finish.ts';
import type { DagRun } from './dag-run-repository.ts';
import type { Store } from './store.ts';
import type { TaskInstance } from './task-instance-repository.ts';

/** What a try's own code came to, before the retry rules are applied. */
export type TryResult =
  | { kind: 'success'; value?: unknown; skip?: readonly string[] }
  | { kind: 'skipped' }
  /** `retryable: false` for FailWithoutRetryError: no further try whatever the retries left. */
  | { kind: 'failed'; error: string; retryable: boolean };

export type SettledState =
  | typeof TaskInstanceState.SUCCESS
  | typeof TaskInstanceState.SKIPPED
  | typeof TaskInstanceState.FAILED
  | typeof TaskInstanceState.UP_FOR_RETRY;

/** A try's result with the retry rules applied: the state it is recorded in. */
export interface SettledTry {
  state: SettledState;
  error: string | null;
  /** When `state` is up_for_retry: wait this long before the next try. */
  retryDelayMs: number | null;
  /** Tasks this try skips (branch / short-circuit). */
  skip: readonly string[];
  /** The XCom return value (success only; undefined and null push none, as Airflow). */
  value?: unknown;
}

/** How a finish was recorded, and what to hand to the queue after the commit. */
export interface FinishedTry extends SettledTry {
  /** False when another process had already moved this try on (the compare-and-set was lost): nothing was written. */
  recorded: boolean;
  /** Downstream tries this transaction moved to `queued` (the worker-side hand-off): enqueue them after the commit. */
  queued: TaskInstance[];
}

/** Who runs a try: recorded on the row and in `queued_by` of the downstream tries it queues. */
export interface TryOwner {
  hostname: string;
  workerId: string;
}

export interface FinishOptions {
  /** The DAG as the caller knows it: its downstream is evaluated in the same transaction. Null: leave that to the scheduler. */
  structure: DagStructure | null;
  /** `queued_by` of the downstream tries queued here. */
  queuedBy: string;
  /** The try's last log lines, committed with its state. */
  log?: { chunk: number; content: string } | null;
  /** The try's states this finish may move it from (compare-and-set). @defaultValue `['running']` */
  from?: readonly TaskInstanceState[];
}

const RUNNING: readonly TaskInstanceState[] = [TaskInstanceState.RUNNING];
const STARTABLE: readonly TaskInstanceState[] = [TaskInstanceState.QUEUED, TaskInstanceState.SCHEDULED];

interface StartRequest {
  key: TaskInstanceKey;
  resolve: (ti: TaskInstance | undefined) => void;
  reject: (error: unknown) => void;
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
 * their XComs; then each one's skips and downstream hand-off.
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
    for (const key of await store.tasks.finishMany(group.map((r) => r.ti), options.from ?? RUNNING, settled.state, settled.error, end)) moved.add(keyString(key));
  }
  // The same try finished twice in one group (a duplicate delivery) is recorded once, for its first request.
  const recorded = requests.filter((r) => moved.delete(keyString(r.ti)));
  const won = new Set(recorded);
  await store.logs.appendMany(recorded.flatMap((r) => (r.options.log ? [{ key: r.ti, ...r.options.log }] : [])), end);
  await store.xcom.setMany(
    recorded.filter((r) => r.settled.state === TaskInstanceState.SUCCESS && r.settled.value !== undefined && r.settled.value !== null)
      .map((r) => ({ dagId: r.ti.dagId, runId: r.ti.runId, taskId: r.ti.taskId, value: r.settled.value })),
    end,
  );
  const results: FinishedTry[] = [];
  for (const r of requests) {
    if (!won.has(r)) {
      results.push({ ...r.settled, recorded: false, queued: [] });
      continue;
    }
    for (const batch of chunks(r.settled.skip)) await store.tasks.skipUndecided(r.ti.dagId, r.ti.runId, batch, end);
    if (r.settled.state === TaskInstanceState.UP_FOR_RETRY || !r.options.structure) {
      results.push({ ...r.settled, recorded: true, queued: [] });
      continue;
    }
    const step = await advanceDagRun(store, r.options.structure, r.run, end, { changed: [r.ti.taskId], queuedBy: r.options.queuedBy, finish: false });
    results.push({ ...r.settled, recorded: true, queued: step.queued });
  }
  return results;
}

/** One UPDATE for every first try of the group; a retry whose row is not there yet is opened from its predecessor. */
async function startGroup(store: Store, requests: readonly StartRequest[], owner: TryOwner, now: Date): Promise<Array<TaskInstance | undefined>> {
  const patch = { start_date: now.toISOString(), hostname: owner.hostname, worker_id: owner.workerId, end_date: null, error: null };
  const started = new Map<string, TaskInstance>();
  for (const ti of await store.tasks.transitionManyReturning(requests.map((r) => r.key), STARTABLE, TaskInstanceState.RUNNING, patch, now)) started.set(keyString(ti), ti);
  const results: Array<TaskInstance | undefined> = [];
  for (const { key } of requests) {
    let ti = started.get(keyString(key));
    if (!ti && key.tryNumber > 1 && (await store.tasks.openNextTry(key, [TaskInstanceState.UP_FOR_RETRY], TaskInstanceState.RUNNING, patch, now))) {
      ti = await store.tasks.get(key);
    }
    // The same try asked twice in one group (a duplicate delivery) starts once.
    if (ti) started.delete(keyString(key));
    results.push(ti);
  }
  return results;
}

/**
 * Airflow's `handle_failure`, the one place a failed try becomes
 * `up_for_retry` or `failed`: it retries while tries remain and the error
 * allows it, after a delay from the policy the try was created with.
 */
export function settleTry(ti: TaskInstance, result: TryResult, logicalDate: string): SettledTry {
  if (result.kind === 'success') return { state: TaskInstanceState.SUCCESS, error: null, retryDelayMs: null, skip: result.skip ?? [], value: result.value };
  if (result.kind === 'skipped') return { state: TaskInstanceState.SKIPPED, error: null, retryDelayMs: null, skip: [] };
  const retry = result.retryable && ti.tryNumber < ti.maxTries;
  return {
    state: retry ? TaskInstanceState.UP_FOR_RETRY : TaskInstanceState.FAILED,
    error: result.error,
    retryDelayMs: retry ? retryDelayMs(ti.retryPolicy, ti.tryNumber, { dagId: ti.dagId, taskId: ti.taskId, logicalDate }) : null,
    skip: [],
  };
}

/**
 * The life of one try in the store, shared by workers, their isolated
 * children, the scheduler's reconciler and `dags test`: every transition is a
 * compare-and-set, and a finish records state, log, XCom, skips and the
 * downstream hand-off in one transaction (batched with the other small writes
 * of the same turn of the event loop, see {@link Store.batch}).
 */
export class TryLifecycle {
  /** Starts asked for while their batch has not run yet, by owner: they share one UPDATE. */
  private readonly openStarts = new Map<string, StartRequest[]>();
  /** Finishes asked for while their batch has not run yet: their state changes, logs and XComs share statements. */
  private openFinishes: FinishRequest[] | null = null;
  /** PostgreSQL finishes asked for while their statement has not been sent yet. */
  private openOneStatement: FinishRequest[] | null = null;

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
    return new Promise((resolve, reject) => {
      const open = this.openStarts.get(owner.workerId);
      if (open) {
        open.push({ key, resolve, reject });
        return;
      }
      const requests: StartRequest[] = [{ key, resolve, reject }];
      this.openStarts.set(owner.workerId, requests);
      setImmediate(() => {
        // Requests arriving after this point start a new group.
        this.openStarts.delete(owner.workerId);
        startGroup(this.store, requests, owner, now)
          .then((rows) => requests.forEach((r, i) => r.resolve(rows[i])), (error: unknown) => requests.forEach((r) => r.reject(error)));
      });
    });
  }

  /**
   * Records a settled try (compare-and-set from `running`), and in the same
   * transaction evaluates its downstream with the one trigger-rule evaluator,
   * queueing what became ready — on PostgreSQL usually in one statement with
   * the decision made just before it (see finishInOneStatement). Enqueue {@link FinishedTry.queued} (and the
   * retry) right after: if this process dies in between, the scheduler's
   * reconciliation finds queued tries without a job and enqueues them.
   */
  finishTry(ti: TaskInstance, run: DagRun, settled: SettledTry, options: FinishOptions, now: Date): Promise<FinishedTry> {
    return new Promise((resolve, reject) => {
      const request: FinishRequest = { ti, run, settled, options, now, resolve, reject };
      if (this.store.dialect === 'postgres' && !this.store.inTransaction) return this.finishOnPostgres(request);
      this.finishInBatch([request]);
    });
  }

  /** Finishes asked for in the same turn of the event loop go in one statement where they can (see finishInOneStatement), the rest in one transaction. */
  private finishOnPostgres(request: FinishRequest): void {
    if (this.openOneStatement) {
      this.openOneStatement.push(request);
      return;
    }
    const requests = [request];
    this.openOneStatement = requests;
    setImmediate(() => {
      this.openOneStatement = null;
      const end = new Date(Math.max(...requests.map((r) => r.now.getTime())));
      finishInOneStatement(this.store, requests, end).then(
        (results) => {
          const rest = requests.filter((r, i) => {
            if (results[i]) r.resolve(results[i]);
            return !results[i];
          });
          if (rest.length > 0) this.finishInBatch(rest);
        },
        // A failed statement wrote nothing: the transactional path runs them, each alone if need be (see WriteBatcher).
        () => this.finishInBatch(requests),
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
      .then((results) => requests.forEach((r, i) => r.resolve(results[i]!)), (error: unknown) => requests.forEach((r) => r.reject(error)));
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
      const lines = [formatLogLine(ti.taskId, 'ERROR', message, now), formatLogLine(ti.taskId, 'INFO', `Marking task as ${settled.state.toUpperCase()}`, now)];
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
