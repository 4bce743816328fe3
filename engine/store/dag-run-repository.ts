import type { Selectable } from 'kysely';
import type { Db } from './database.ts';
import type { DagRunTable } from './schema.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { DagRunState, DagRunType } from '../models/states.ts';
import type { Store } from './store.ts';
import { TaskInstanceRepository } from './task-instance-repository.ts';

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

/** Airflow's run id form: `<type>__<logical date ISO>`. */
export const defaultRunId = (runType: DagRunType, logicalDate: Date): string => `${runType}__${logicalDate.toISOString()}`;

export class DagRunRepository {
  constructor(private readonly db: Db, private readonly store: Store) {}

  /**
   * Creates a run and a first try (state `none`) for each of its tasks, in one
   * transaction. Returns null when a run with this logical date or run id
   * exists already: the unique key makes run creation idempotent across
   * restarts and duplicate schedulers.
   */
  async create(spec: DagSpec, run: NewDagRun, now: Date): Promise<DagRun | null> {
    return this.store.write(async (tx) => {
      const clash = await tx
        .selectFrom('dag_run')
        .select('run_id')
        .where('dag_id', '=', spec.dagId)
        .where((eb) => eb.or([eb('run_id', '=', run.runId), eb('logical_date', '=', run.logicalDate.toISOString())]))
        .executeTakeFirst();
      if (clash) return null;
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
      await new TaskInstanceRepository(tx as Db).createFirstTries(spec.dagId, run.runId, spec.tasks, now);
      return toDagRun(row);
    });
  }

  /**
   * PostgreSQL: locks the run's row for this transaction, waiting for another
   * scheduler's pass over the same run to commit first, so two schedulers
   * evaluate a run one after the other and each sees the other's decisions.
   * SQLite serializes write transactions already: a no-op.
   */
  async lockForPass(dagId: string, runId: string): Promise<void> {
    if (this.store.dialect === 'sqlite') return;
    await this.db.selectFrom('dag_run').select('run_id').where('dag_id', '=', dagId).where('run_id', '=', runId).forUpdate().executeTakeFirst();
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
    let query = this.db.selectFrom('dag_run').select((eb) => eb.fn.countAll<number>().as('n')).where('dag_id', '=', dagId);
    if (state) query = query.where('state', '=', state);
    return Number((await query.executeTakeFirst())?.n ?? 0);
  }

  /** How many runs are in each state (the webserver's metrics). */
  async countByState(): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('dag_run').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** The DAGs that have a run in one of `states`. */
  async dagIdsWithRunsIn(states: readonly DagRunState[]): Promise<Set<string>> {
    const rows = await this.db.selectFrom('dag_run').select('dag_id').distinct().where('state', 'in', [...states]).execute();
    return new Set(rows.map((r) => r.dag_id));
  }

  async listByState(states: readonly DagRunState[], dagId?: string): Promise<DagRun[]> {
    let query = this.db.selectFrom('dag_run').selectAll().where('state', 'in', [...states]).orderBy('logical_date');
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
    return this.store.write(async (tx) => {
      for (const table of ['task_log', 'xcom', 'task_instance'] as const) {
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
