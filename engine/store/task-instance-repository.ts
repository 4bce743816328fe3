import type { TaskSpec } from '../models/dag-spec.ts';
import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Db } from './database.ts';
import type { Database, TaskInstanceTable } from './schema.ts';
import { NOT_FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import { chunks } from '../utils/chunks.ts';
import type { RetryPolicy } from '../models/retry-delay.ts';
import { runKeyString, type TaskInstanceKey } from '../models/task-instance-key.ts';

export type { TaskInstanceKey };

export interface TaskInstance extends TaskInstanceKey {
  state: TaskInstanceState;
  operator: string;
  queue: string;
  maxTries: number;
  queuedAt: string | null;
  startDate: string | null;
  endDate: string | null;
  durationMs: number | null;
  hostname: string | null;
  workerId: string | null;
  error: string | null;
  updatedAt: string;
  /** How a failure of this try is retried: fixed when the try was created, never re-read from the DAG file. */
  retryPolicy: RetryPolicy;
  queuedBy: string | null;
}

/** Columns a transition may set besides the state. */
export type TaskInstancePatch = Partial<
  Pick<
    TaskInstanceTable,
    'queued_at' | 'queued_by' | 'start_date' | 'end_date' | 'duration_ms' | 'hostname' | 'worker_id' | 'error' | 'max_tries'
  >
>;

/** `WHERE` clause for `task_instance as ti`: no newer try of the same task exists. */
const isNewestTry = ({ not, exists, selectFrom }: ExpressionBuilder<Database & { ti: TaskInstanceTable }, 'ti'>) =>
  not(
    exists(
      selectFrom('task_instance as newer')
        .select(sql`1`.as('one'))
        .whereRef('newer.dag_id', '=', 'ti.dag_id')
        .whereRef('newer.run_id', '=', 'ti.run_id')
        .whereRef('newer.task_id', '=', 'ti.task_id')
        .whereRef('newer.try_number', '>', 'ti.try_number'),
    ),
  );

/**
 * A try is superseded only by the next try opened from it, and that happens
 * only from `up_for_retry` (a retry) or a finished state (a clear). So an
 * unfinished try in any other state is always its task's newest, and only
 * `up_for_retry` rows need the (costlier) "no newer try" test. Returns the
 * states split into [plain states, false] and [['up_for_retry'], true].
 */
function splitBySupersedable(states: readonly TaskInstanceState[]): Array<[TaskInstanceState[], boolean]> {
  const plain = states.filter((s) => s !== TaskInstanceState.UP_FOR_RETRY);
  const groups: Array<[TaskInstanceState[], boolean]> = [];
  if (plain.length > 0) groups.push([plain, false]);
  if (plain.length < states.length) groups.push([[TaskInstanceState.UP_FOR_RETRY], true]);
  return groups;
}

export class TaskInstanceRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /**
   * `WHERE` the try's key is one of `keys`. SQLite: a row-value `IN` list.
   * PostgreSQL: `IN` an unnest of four array parameters, so the statement's
   * text does not grow with the batch — planning a 200-row `IN` list of
   * tuples took ~30 ms, four times what running it does.
   */
  private keyIn(keys: readonly TaskInstanceKey[]) {
    return (eb: ExpressionBuilder<Database, 'task_instance'>) =>
      this.dialect === 'postgres'
        ? sql<boolean>`(dag_id, run_id, task_id, try_number) in (select * from unnest(${keys.map((k) => k.dagId)}::text[], ${keys.map((k) => k.runId)}::text[], ${keys.map((k) => k.taskId)}::text[], ${keys.map((k) => k.tryNumber)}::int[]))`
        : eb(
            eb.refTuple('dag_id', 'run_id', 'task_id', 'try_number'),
            'in',
            keys.map((k) => eb.tuple(k.dagId, k.runId, k.taskId, k.tryNumber)),
          );
  }

  /**
   * The compare-and-set test beside {@link keyIn}, written so that the key,
   * not the state, is the way in. Left to themselves both planners pick the
   * (state, dag_id, run_id) index for it and read every try of the run in
   * that state: SQLite without statistics, PostgreSQL with statistics
   * gathered before a burst of transitions (they make the wanted state look
   * absent; measured 20–30 ms for an 8-try start and 570 ms for a 200-try
   * queue, against 0.2 and 7 ms by key). SQLite's unary `+` and PostgreSQL's
   * `CASE` keep an index from serving the test, and the `CASE` also keeps
   * the state statistics out of the estimate.
   */
  private stateIn(states: readonly TaskInstanceState[]) {
    return this.dialect === 'postgres'
      ? sql<boolean>`case when state = any(${[...states]}::text[]) then true else false end`
      : sql<boolean>`+state in (${sql.join([...states])})`;
  }

  async get(key: TaskInstanceKey): Promise<TaskInstance | undefined> {
    const row = await this.db
      .selectFrom('task_instance')
      .selectAll()
      .where('dag_id', '=', key.dagId)
      .where('run_id', '=', key.runId)
      .where('task_id', '=', key.taskId)
      .where('try_number', '=', key.tryNumber)
      .executeTakeFirst();
    return row && toTaskInstance(row);
  }

  /** Every try of every task of a run, oldest try first. */
  async allTries(dagId: string, runId: string): Promise<TaskInstance[]> {
    const rows = await this.db
      .selectFrom('task_instance')
      .selectAll()
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .orderBy('task_id')
      .orderBy('try_number')
      .execute();
    return rows.map(toTaskInstance);
  }

  /** The current (newest) try of each task of a run. */
  async latestTries(dagId: string, runId: string): Promise<Map<string, TaskInstance>> {
    const latest = new Map<string, TaskInstance>();
    for (const ti of await this.allTries(dagId, runId)) latest.set(ti.taskId, ti);
    return latest;
  }

  /** The current try of each of `taskIds` in a run. */
  async latestTriesFor(dagId: string, runId: string, taskIds: readonly string[]): Promise<Map<string, TaskInstance>> {
    const latest = new Map<string, TaskInstance>();
    for (const batch of chunks([...new Set(taskIds)])) {
      const rows = await this.db
        .selectFrom('task_instance')
        .selectAll()
        .where('dag_id', '=', dagId)
        .where('run_id', '=', runId)
        .where('task_id', 'in', batch)
        .orderBy('try_number')
        .execute();
      for (const row of rows) latest.set(row.task_id, toTaskInstance(row));
    }
    return latest;
  }

  /** True while some task of the run has an unfinished current try. */
  async hasUnfinished(dagId: string, runId: string): Promise<boolean> {
    for (const [states, newestOnly] of splitBySupersedable(NOT_FINISHED_TASK_STATES)) {
      let query = this.db
        .selectFrom('task_instance as ti')
        .select('ti.task_id')
        .where('ti.dag_id', '=', dagId)
        .where('ti.run_id', '=', runId)
        .where('ti.state', 'in', states);
      if (newestOnly) query = query.where(isNewestTry);
      if (await query.limit(1).executeTakeFirst()) return true;
    }
    return false;
  }

  /**
   * The runs (as {@link runKeyString}) among `runs` that have a try waiting to
   * start, `none` or `queued`, of a task other than the named ones. Such a
   * try's own finish looks at its run later (a worker tells the scheduler
   * only when nothing will).
   */
  async waitingToStart(runs: ReadonlyArray<{ dagId: string; runId: string; besides: readonly string[] }>): Promise<Set<string>> {
    const waiting = new Set<string>();
    for (const { dagId, runId, besides } of runs) {
      let query = this.db
        .selectFrom('task_instance')
        .select('task_id')
        .where('state', 'in', [TaskInstanceState.NONE, TaskInstanceState.QUEUED])
        .where('dag_id', '=', dagId)
        .where('run_id', '=', runId);
      if (besides.length > 0) query = query.where('task_id', 'not in', [...besides]);
      if (await query.limit(1).executeTakeFirst()) waiting.add(runKeyString(dagId, runId));
    }
    return waiting;
  }

  /** Running tries, across all runs, whose heartbeat (`updated_at`) is older than `cutoff`: the zombie check. */
  async runningSilentSince(cutoff: Date): Promise<TaskInstance[]> {
    const rows = await this.db
      .selectFrom('task_instance')
      .selectAll()
      .where('state', '=', TaskInstanceState.RUNNING)
      .where('updated_at', '<', cutoff.toISOString())
      .execute();
    return rows.map(toTaskInstance);
  }

  /** Newest tries, across all runs, that are in one of `states` (for reconciliation). */
  async latestInStates(states: readonly TaskInstanceState[]): Promise<TaskInstance[]> {
    const found: TaskInstance[] = [];
    for (const [group, newestOnly] of splitBySupersedable(states)) {
      let query = this.db.selectFrom('task_instance as ti').selectAll().where('ti.state', 'in', group);
      if (newestOnly) query = query.where(isNewestTry);
      found.push(...(await query.execute()).map(toTaskInstance));
    }
    return found;
  }

  /**
   * Compare-and-set: moves the try to `to` only if it is in one of `from`.
   * Returns false when another process got there first; the caller drops its work.
   */
  async transition(
    key: TaskInstanceKey,
    from: readonly TaskInstanceState[],
    to: TaskInstanceState,
    patch: TaskInstancePatch,
    now: Date,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('task_instance')
      .set({ ...patch, state: to, updated_at: now.toISOString() })
      .where('dag_id', '=', key.dagId)
      .where('run_id', '=', key.runId)
      .where('task_id', '=', key.taskId)
      .where('try_number', '=', key.tryNumber)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * {@link transition} for many tries in one statement, returning the rows: the tries that were in one of `from` move, and come back.
   */
  async transitionManyReturning(
    keys: readonly TaskInstanceKey[],
    from: readonly TaskInstanceState[],
    to: TaskInstanceState,
    patch: TaskInstancePatch,
    now: Date,
  ): Promise<TaskInstance[]> {
    const moved: TaskInstance[] = [];
    for (const batch of chunks(keys, 200)) {
      const rows = await this.db
        .updateTable('task_instance')
        .set({ ...patch, state: to, updated_at: now.toISOString() })
        .where(this.keyIn(batch))
        .where(this.stateIn(from))
        .returningAll()
        .execute();
      moved.push(...rows.map(toTaskInstance));
    }
    return moved;
  }

  /**
   * Ends many tries in one statement: those in one of `from` move to `to`
   * with `error`, ending at `end` (their duration computed from their own
   * start in SQL); returns the keys that moved.
   */
  async finishMany(
    keys: readonly TaskInstanceKey[],
    from: readonly TaskInstanceState[],
    to: TaskInstanceState,
    error: string | null,
    end: Date,
  ): Promise<TaskInstanceKey[]> {
    const at = end.toISOString();
    const duration =
      this.dialect === 'sqlite'
        ? sql<number>`cast(round((julianday(${at}) - julianday(start_date)) * 86400000) as integer)`
        : sql<number>`round(extract(epoch from (${at}::timestamptz - start_date::timestamptz)) * 1000)::integer`;
    const moved: TaskInstanceKey[] = [];
    for (const batch of chunks(keys, 200)) {
      const rows = await this.db
        .updateTable('task_instance')
        .set({ state: to, end_date: at, duration_ms: duration, error, updated_at: at })
        .where(this.keyIn(batch))
        .where(this.stateIn(from))
        .returning(['dag_id', 'run_id', 'task_id', 'try_number'])
        .execute();
      moved.push(...rows.map((r) => ({ dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, tryNumber: r.try_number })));
    }
    return moved;
  }

  /** Tries of `taskIds` not yet decided (`none`) become `skipped` (a branch or short-circuit decided so); returns the task ids that moved. */
  async skipUndecided(dagId: string, runId: string, taskIds: readonly string[], now: Date): Promise<string[]> {
    const rows = await this.db
      .updateTable('task_instance')
      .set({ state: TaskInstanceState.SKIPPED, end_date: now.toISOString(), updated_at: now.toISOString() })
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .where('task_id', 'in', [...taskIds])
      .where('state', '=', TaskInstanceState.NONE)
      .returning('task_id')
      .execute();
    return rows.map((r) => r.task_id);
  }

  /** How many tries are in each state (the webserver's metrics). */
  async countByState(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('task_instance')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** A first try (state `none`) for each of `tasks` in a run; a task that has a try already is left alone. */
  async createFirstTries(dagId: string, runId: string, tasks: readonly TaskSpec[], now: Date): Promise<void> {
    for (const batch of chunks(tasks)) {
      await this.db
        .insertInto('task_instance')
        .values(
          batch.map((t) => ({
            dag_id: dagId,
            run_id: runId,
            task_id: t.taskId,
            try_number: 1,
            state: TaskInstanceState.NONE,
            operator: t.operator,
            queue: t.queue,
            max_tries: t.retries + 1,
            updated_at: now.toISOString(),
            retry_delay_ms: t.retryDelayMs,
            retry_exponential_backoff: t.retryExponentialBackoff ? 1 : 0,
            max_retry_delay_ms: t.maxRetryDelayMs,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
      // Their upstream counts (ADR 13): none done yet, `total` from the DAG's structure.
      await this.db
        .insertInto('task_instance_upstream')
        .values(batch.map((t) => ({ dag_id: dagId, run_id: runId, task_id: t.taskId, total: t.upstream.length })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  /**
   * Heartbeat: touches `updated_at` of the tries this worker runs that are
   * still `running`, one statement per 200 tries, and returns those. A try
   * missing from the answer was changed from outside (marked, its run failed
   * or deleted): its worker terminates it (see TryTerminator).
   */
  async heartbeat(keys: readonly TaskInstanceKey[], now: Date): Promise<TaskInstanceKey[]> {
    const running: TaskInstanceKey[] = [];
    for (const batch of chunks(keys, 200)) {
      const rows = await this.db
        .updateTable('task_instance')
        .set({ updated_at: now.toISOString() })
        .where(this.keyIn(batch))
        .where(this.stateIn([TaskInstanceState.RUNNING]))
        .returning(['dag_id', 'run_id', 'task_id', 'try_number'])
        .execute();
      running.push(...rows.map((r) => ({ dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, tryNumber: r.try_number })));
    }
    return running;
  }

  /** The states of these tries, in one statement per 200; a try with no row is absent from the answer. */
  async statesOf(keys: readonly TaskInstanceKey[]): Promise<Array<TaskInstanceKey & { state: TaskInstanceState }>> {
    const found: Array<TaskInstanceKey & { state: TaskInstanceState }> = [];
    for (const batch of chunks(keys, 200)) {
      const rows = await this.db
        .selectFrom('task_instance')
        .select(['dag_id', 'run_id', 'task_id', 'try_number', 'state'])
        .where(this.keyIn(batch))
        .execute();
      found.push(
        ...rows.map((r) => ({
          dagId: r.dag_id,
          runId: r.run_id,
          taskId: r.task_id,
          tryNumber: r.try_number,
          state: r.state as TaskInstanceState,
        })),
      );
    }
    return found;
  }

  /**
   * Opens try `tryNumber` in `state` as a copy of the previous try, only if the
   * previous try is in one of `previousStates` and no such try exists yet: one
   * INSERT ... SELECT, so two processes cannot both open it.
   */
  async openNextTry(
    key: TaskInstanceKey,
    previousStates: readonly TaskInstanceState[],
    state: TaskInstanceState,
    patch: TaskInstancePatch,
    now: Date,
  ): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.db
      .insertInto('task_instance')
      .columns([
        'dag_id',
        'run_id',
        'task_id',
        'try_number',
        'state',
        'operator',
        'queue',
        'max_tries',
        'queued_at',
        'queued_by',
        'start_date',
        'hostname',
        'worker_id',
        'updated_at',
        'retry_delay_ms',
        'retry_exponential_backoff',
        'max_retry_delay_ms',
      ])
      .expression((eb) =>
        eb
          .selectFrom('task_instance as prev')
          .select([
            'prev.dag_id',
            'prev.run_id',
            'prev.task_id',
            sql<number>`${key.tryNumber}`.as('try_number'),
            sql<string>`${state}`.as('state'),
            'prev.operator',
            'prev.queue',
            patch.max_tries !== undefined
              ? sql<number>`${patch.max_tries}`.as('max_tries')
              : sql<number>`case when prev.max_tries < ${key.tryNumber} then ${key.tryNumber} else prev.max_tries end`.as('max_tries'),
            sql<string | null>`${patch.queued_at ?? null}`.as('queued_at'),
            sql<string | null>`${patch.queued_by ?? null}`.as('queued_by'),
            sql<string | null>`${patch.start_date ?? null}`.as('start_date'),
            sql<string | null>`${patch.hostname ?? null}`.as('hostname'),
            sql<string | null>`${patch.worker_id ?? null}`.as('worker_id'),
            sql<string>`${at}`.as('updated_at'),
            'prev.retry_delay_ms',
            'prev.retry_exponential_backoff',
            'prev.max_retry_delay_ms',
          ])
          .where('prev.dag_id', '=', key.dagId)
          .where('prev.run_id', '=', key.runId)
          .where('prev.task_id', '=', key.taskId)
          .where('prev.try_number', '=', key.tryNumber - 1)
          .where('prev.state', 'in', [...previousStates]),
      )
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
}

export function toTaskInstance(row: Selectable<TaskInstanceTable>): TaskInstance {
  return {
    dagId: row.dag_id,
    runId: row.run_id,
    taskId: row.task_id,
    tryNumber: row.try_number,
    state: row.state as TaskInstanceState,
    operator: row.operator,
    queue: row.queue,
    maxTries: row.max_tries,
    queuedAt: row.queued_at,
    startDate: row.start_date,
    endDate: row.end_date,
    durationMs: row.duration_ms,
    hostname: row.hostname,
    workerId: row.worker_id,
    error: row.error,
    updatedAt: row.updated_at,
    // Rows from before migration 006 have no policy: retry at once.
    retryPolicy: {
      retryDelayMs: row.retry_delay_ms ?? 0,
      retryExponentialBackoff: row.retry_exponential_backoff === 1,
      maxRetryDelayMs: row.max_retry_delay_ms,
    },
    queuedBy: row.queued_by,
  };
}
