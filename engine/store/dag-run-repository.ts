import type { Selectable } from 'kysely';
import type { Db, WriteTransaction } from './db.ts';
import type { DagRunTable } from './schema.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { DagRunState, DagRunType } from '../models/states.ts';
import { TaskInstanceRepository } from './task-instance-repository.ts';
import { defaultRunId, firstFreeLogicalDate } from './free-logical-date.ts';

export interface DagRun {
  dagId: string;
  runId: string;
  runType: DagRunType;
  logicalDate: string;
  dataIntervalStart: string;
  dataIntervalEnd: string;
  conf: Record<string, unknown>;
  state: DagRunState;
  queuedAt: string;
  startDate: string | null;
  endDate: string | null;
  /** Null: the scheduler's run; `local <host>:<pid>`: the process that executes it itself (`dags test`, `dags backfill`). */
  executor: string | null;
}

export interface NewDagRun {
  runId: string;
  runType: DagRunType;
  logicalDate: Date;
  dataInterval: { start: Date; end: Date };
  conf: Record<string, unknown>;
  state?: DagRunState;
  /** The process that executes this run itself (see {@link DagRun.executor}). @defaultValue null: the scheduler */
  executor?: string | null;
}

export { defaultRunId } from './free-logical-date.ts';

/** A run a user asked for (a trigger): what they named must be free; what they did not name is found free. */
export interface TriggeredDagRun {
  runType: DagRunType;
  /** Named by the user: a run with this id makes the trigger a clash. @defaultValue `<type>__<logical date>` */
  runId?: string;
  /** Named by the user: a run at this date makes the trigger a clash. @defaultValue the first free millisecond from `earliest` */
  logicalDate?: Date;
  /** Where an unnamed logical date starts (now). */
  earliest: Date;
  dataIntervalOf(logicalDate: Date): { start: Date; end: Date };
  conf: Record<string, unknown>;
}

/** A concurrent transaction inserted the same key first (PostgreSQL reads committed data only, so both saw it free). */
const isUniqueViolation = (error: unknown): boolean =>
  ['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'].includes(String((error as { code?: unknown } | null)?.code));

export class DagRunRepository {
  /** @param write - the Store's write transaction (see Store.write): joins the open one when the Store is a view on it. */
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly write: WriteTransaction,
  ) {}

  /**
   * Creates a run and a first try (state `none`) for each of its tasks, in one
   * transaction. Returns null when a run with this logical date or run id
   * exists already: the unique key makes run creation idempotent across
   * restarts and duplicate schedulers.
   */
  async create(spec: DagSpec, run: NewDagRun, now: Date): Promise<DagRun | null> {
    return this.write(async (tx) => {
      const clash = await tx
        .selectFrom('dag_run')
        .select('run_id')
        .where('dag_id', '=', spec.dagId)
        .where((eb) => eb.or([eb('run_id', '=', run.runId), eb('logical_date', '=', run.logicalDate.toISOString())]))
        .executeTakeFirst();
      if (clash) return null;
      return this.insert(tx as Db, spec, run, now);
    });
  }

  /**
   * Creates a triggered run (see {@link create}). Only what the user named can
   * clash (null): a trigger that names neither run id nor logical date takes
   * the first free millisecond from `earliest`, its run id following
   * (`manual__<that date>`), so concurrent triggers never refuse each other.
   */
  async createTriggered(spec: DagSpec, run: TriggeredDagRun, now: Date): Promise<DagRun | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.write(async (tx) => {
          const db = tx as Db;
          // PostgreSQL reads only committed rows: triggers of one DAG take turns (SQLite's write transactions already do).
          if (this.dialect === 'postgres')
            await db.selectFrom('dag').select('dag_id').where('dag_id', '=', spec.dagId).forUpdate().executeTakeFirst();
          const taken = async (column: 'run_id' | 'logical_date', value: string): Promise<boolean> =>
            (await db
              .selectFrom('dag_run')
              .select('run_id')
              .where('dag_id', '=', spec.dagId)
              .where(column, '=', value)
              .executeTakeFirst()) !== undefined;
          if (run.runId !== undefined && (await taken('run_id', run.runId))) return null;
          const logicalDate =
            run.logicalDate ??
            (await firstFreeLogicalDate(db, spec.dagId, run.earliest, run.runId === undefined ? run.runType : undefined));
          const runId = run.runId ?? defaultRunId(run.runType, logicalDate);
          // A named date must be free, and so must the run id derived from it (a user may have given that id to a run at another date).
          if (
            run.logicalDate !== undefined &&
            ((await taken('logical_date', logicalDate.toISOString())) || (run.runId === undefined && (await taken('run_id', runId))))
          )
            return null;
          return this.insert(
            db,
            spec,
            { runId, runType: run.runType, logicalDate, dataInterval: run.dataIntervalOf(logicalDate), conf: run.conf },
            now,
          );
        });
      } catch (error) {
        // A run the scheduler created meanwhile at the same instant (it does not take the DAG's turn): read again.
        if (!isUniqueViolation(error) || attempt >= 5) throw error;
      }
    }
  }

  /** Inserts a run and a first try per task (state `none`); inside the caller's write transaction. */
  private async insert(tx: Db, spec: DagSpec, run: NewDagRun, now: Date): Promise<DagRun> {
    const at = now.toISOString();
    const row: Selectable<DagRunTable> = {
      dag_id: spec.dagId,
      run_id: run.runId,
      run_type: run.runType,
      logical_date: run.logicalDate.toISOString(),
      data_interval_start: run.dataInterval.start.toISOString(),
      data_interval_end: run.dataInterval.end.toISOString(),
      conf: JSON.stringify(run.conf),
      state: run.state ?? DagRunState.QUEUED,
      queued_at: at,
      start_date: null,
      end_date: null,
      note: null,
      executor: run.executor ?? null,
    };
    await tx.insertInto('dag_run').values(row).execute();
    await new TaskInstanceRepository(tx).createFirstTries(spec.dagId, run.runId, spec.tasks, now);
    return toDagRun(row);
  }

  /**
   * PostgreSQL: locks the run's row for this transaction, waiting for another
   * scheduler's pass over the same run to commit first, so two schedulers
   * evaluate a run one after the other and each sees the other's decisions.
   * SQLite serializes write transactions already: a no-op.
   */
  async lockForPass(dagId: string, runId: string): Promise<void> {
    if (this.dialect === 'sqlite') return;
    await this.db
      .selectFrom('dag_run')
      .select('run_id')
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .forUpdate()
      .executeTakeFirst();
  }

  async get(dagId: string, runId: string): Promise<DagRun | undefined> {
    const row = await this.db.selectFrom('dag_run').selectAll().where('dag_id', '=', dagId).where('run_id', '=', runId).executeTakeFirst();
    return row && toDagRun(row);
  }

  /** Newest first. */
  async list(dagId: string, options: { state?: DagRunState; limit?: number; offset?: number } = {}): Promise<DagRun[]> {
    let query = this.db.selectFrom('dag_run').selectAll().where('dag_id', '=', dagId).orderBy('logical_date', 'desc');
    if (options.state) query = query.where('state', '=', options.state);
    if (options.limit) query = query.limit(options.limit);
    if (options.offset) query = query.offset(options.offset);
    return (await query.execute()).map(toDagRun);
  }

  async count(dagId: string, state?: DagRunState): Promise<number> {
    let query = this.db
      .selectFrom('dag_run')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('dag_id', '=', dagId);
    if (state) query = query.where('state', '=', state);
    return Number((await query.executeTakeFirst())?.n ?? 0);
  }

  /** How many runs are in each state (the webserver's metrics). */
  async countByState(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('dag_run')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** The DAGs that have a run in one of `states`. */
  async dagIdsWithRunsIn(states: readonly DagRunState[]): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('dag_run')
      .select('dag_id')
      .distinct()
      .where('state', 'in', [...states])
      .execute();
    return new Set(rows.map((r) => r.dag_id));
  }

  async listByState(states: readonly DagRunState[], dagId?: string): Promise<DagRun[]> {
    let query = this.db
      .selectFrom('dag_run')
      .selectAll()
      .where('state', 'in', [...states])
      .orderBy('logical_date');
    if (dagId) query = query.where('dag_id', '=', dagId);
    return (await query.execute()).map(toDagRun);
  }

  /** The data interval of the newest scheduled or backfill run: where the timetable continues from. */
  async lastAutomatedInterval(dagId: string): Promise<{ start: Date; end: Date } | null> {
    const row = await this.db
      .selectFrom('dag_run')
      .select(['data_interval_start', 'data_interval_end'])
      .where('dag_id', '=', dagId)
      .where('run_type', 'in', [DagRunType.SCHEDULED, DagRunType.BACKFILL])
      .orderBy('logical_date', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { start: new Date(row.data_interval_start), end: new Date(row.data_interval_end) } : null;
  }

  /** Compare-and-set on the run's state; false when another process moved it first. */
  async transition(dagId: string, runId: string, from: readonly DagRunState[], to: DagRunState, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const patch: Partial<DagRunTable> = { state: to };
    if (to === DagRunState.RUNNING) Object.assign(patch, { start_date: at, end_date: null });
    if (to === DagRunState.QUEUED) Object.assign(patch, { queued_at: at, end_date: null });
    if (to === DagRunState.SUCCESS || to === DagRunState.FAILED) patch.end_date = at;
    const result = await this.db
      .updateTable('dag_run')
      .set(patch)
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * A finished run goes back to `queued` for the scheduler to re-evaluate
   * (compare-and-set from `from`). A run a local process executed (`dags
   * test`, backfill) is handed to the scheduler: that process is done with it.
   */
  async reopen(dagId: string, runId: string, from: readonly DagRunState[], now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('dag_run')
      .set({ state: DagRunState.QUEUED, queued_at: now.toISOString(), end_date: null, executor: null })
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Deletes a run with its tries, logs and XComs, in one transaction; false when there was no such run. */
  async delete(dagId: string, runId: string): Promise<boolean> {
    return this.write(async (tx) => {
      for (const table of ['task_log', 'xcom', 'task_instance', 'task_instance_upstream'] as const) {
        await tx.deleteFrom(table).where('dag_id', '=', dagId).where('run_id', '=', runId).execute();
      }
      const result = await tx.deleteFrom('dag_run').where('dag_id', '=', dagId).where('run_id', '=', runId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }
}

export function toDagRun(row: Selectable<DagRunTable>): DagRun {
  return {
    dagId: row.dag_id,
    runId: row.run_id,
    runType: row.run_type as DagRunType,
    logicalDate: row.logical_date,
    dataIntervalStart: row.data_interval_start,
    dataIntervalEnd: row.data_interval_end,
    conf: JSON.parse(row.conf) as Record<string, unknown>,
    state: row.state as DagRunState,
    queuedAt: row.queued_at,
    startDate: row.start_date,
    endDate: row.end_date,
    executor: row.executor ?? null,
  };
}
