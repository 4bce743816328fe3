import { sql, type RawBuilder } from 'kysely';
import { TaskInstanceState } from '../models/states.ts';
import type { TriggerRule } from '../models/trigger-rule.ts';
import {
  UPSTREAM_COUNT_NAMES,
  type CountComparison,
  type TriggerDecision,
  type TriggerRulePlan,
  type UpstreamCountDelta,
  type UpstreamCounts,
} from '../models/trigger-rule-plan.ts';
import { chunks } from '../utils/chunks.ts';
import type { Db } from './db.ts';
import type { TaskInstanceTable } from './schema.ts';
import { toTaskInstance, type TaskInstance } from './task-instance-repository.ts';

/** The counts a finish, a decision or a change from outside moves (total changes only with the DAG's structure). */
const MOVING = ['success', 'skipped', 'failed', 'upstream_failed', 'removed', 'done'] as const;

/** The state a decision moves a `none` try to; `none`: wait. */
export const DECISION_STATE: Record<TriggerDecision, TaskInstanceState> = {
  run: TaskInstanceState.QUEUED,
  skip: TaskInstanceState.SKIPPED,
  upstream_failed: TaskInstanceState.UPSTREAM_FAILED,
  wait: TaskInstanceState.NONE,
};

/** A task to decide, with its trigger rule as the DAG's structure has it. */
export interface DecisionTarget {
  taskId: string;
  rule: TriggerRule;
}

function comparison(c: CountComparison, counts: string): RawBuilder<unknown> {
  const terms = Object.entries(c.terms).map(([name, k]) => sql`${sql.lit(k)} * ${sql.ref(`${counts}.${name}`)}`);
  return sql`(${sql.join(terms, sql` + `)}) ${sql.raw(c.op)} ${sql.lit(c.value)}`;
}

/**
 * A plan compiled to SQL: `CASE rule WHEN … THEN CASE WHEN <condition> THEN
 * <state> … ELSE 'none' END … END`, the state each task's try moves to, read
 * from the counts row `counts` and the rule column `rule`. Nothing here
 * decides: every condition is the plan's, in its order.
 */
export function decisionSql(plans: readonly TriggerRulePlan[], counts: string, rule: string): RawBuilder<string> {
  const byRule = plans.map((plan) => {
    const steps = plan.steps.map(
      (s) =>
        sql`when ${
          s.when.length === 0
            ? sql`1 = 1`
            : sql.join(
                s.when.map((c) => comparison(c, counts)),
                sql` and `,
              )
        } then ${sql.lit(DECISION_STATE[s.decision])}`,
    );
    return sql`when ${sql.lit(plan.rule)} then case ${sql.join(steps, sql` `)} else ${sql.lit(TaskInstanceState.NONE)} end`;
  });
  return sql<string>`case ${sql.ref(rule)} ${sql.join(byRule, sql` `)} else ${sql.lit(TaskInstanceState.NONE)} end`;
}

/**
 * The stored counts of direct upstream outcomes per task of a run (ADR 13):
 * changed set-based by deltas, one statement per batch, and read by the SQL
 * that applies a trigger rule's plan ({@link decisionSql}).
 */
export class UpstreamCountRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /** A table of rows as a FROM item `alias (names…)`: VALUES on SQLite, unnest of one array per column on PostgreSQL. */
  private rowsOf(
    alias: string,
    names: readonly string[],
    types: readonly ('text' | 'int')[],
    rows: ReadonlyArray<ReadonlyArray<string | number>>,
  ): RawBuilder<unknown> {
    if (this.dialect === 'postgres') {
      const columns = names.map((_, i) => sql`${rows.map((r) => r[i]!)}::${sql.raw(types[i]!)}[]`);
      return sql`unnest(${sql.join(columns)}) as ${sql.raw(alias)} (${sql.raw(names.join(', '))})`;
    }
    const values = rows.map((r) => sql`(${sql.join(r.map((v, i) => (types[i] === 'int' ? sql`cast(${v} as integer)` : sql`${v}`)))})`);
    return sql`(select ${sql.raw(names.map((n, i) => `column${i + 1} as ${n}`).join(', '))} from (values ${sql.join(values)})) as ${sql.raw(alias)}`;
  }

  /** Adds each delta to its task's row, one statement per 500 tasks. */
  async add(dagId: string, runId: string, deltas: readonly UpstreamCountDelta[]): Promise<void> {
    const moving = deltas.filter((d) => MOVING.some((m) => (d.delta[m] ?? 0) !== 0));
    for (const batch of chunks(moving)) {
      const rows = batch.map((d) => [d.taskId, ...MOVING.map((m) => d.delta[m] ?? 0)]);
      const from = this.rowsOf('d', ['task_id', ...MOVING], ['text', ...MOVING.map(() => 'int' as const)], rows);
      await sql`
        update task_instance_upstream as c
           set ${sql.join(MOVING.map((m) => sql`${sql.raw(m)} = c.${sql.raw(m)} + d.${sql.raw(m)}`))}
          from ${from}
         where c.dag_id = ${dagId} and c.run_id = ${runId} and c.task_id = d.task_id
      `.execute(this.db);
    }
  }

  /**
   * Applies the trigger rules' plans to `targets` in one statement per 500:
   * each target whose try is in `none` and whose counts make its rule decide
   * moves to queued (with `queued_by`), skipped or upstream_failed; the tries
   * that moved come back.
   */
  async decide(
    dagId: string,
    runId: string,
    targets: readonly DecisionTarget[],
    plans: readonly TriggerRulePlan[],
    queuedBy: string,
    at: Date,
  ): Promise<TaskInstance[]> {
    const when = at.toISOString();
    const moved: TaskInstance[] = [];
    const none =
      this.dialect === 'postgres'
        ? sql`case when ti.state = ${TaskInstanceState.NONE} then true else false end`
        : sql`+ti.state = ${TaskInstanceState.NONE}`;
    for (const batch of chunks(targets)) {
      const rules = this.rowsOf(
        'r',
        ['task_id', 'rule'],
        ['text', 'text'],
        batch.map((t) => [t.taskId, t.rule]),
      );
      const { rows } = await sql<TaskInstanceTable>`
        update task_instance as ti
           set state = d.next_state,
               queued_at = case when d.next_state = ${TaskInstanceState.QUEUED} then ${when} else ti.queued_at end,
               queued_by = case when d.next_state = ${TaskInstanceState.QUEUED} then ${queuedBy} else ti.queued_by end,
               end_date = case when d.next_state = ${TaskInstanceState.QUEUED} then ti.end_date else ${when} end,
               updated_at = ${when}
          from (select c.task_id, ${decisionSql(plans, 'c', 'r.rule')} as next_state
                  from task_instance_upstream c join ${rules} on r.task_id = c.task_id
                 where c.dag_id = ${dagId} and c.run_id = ${runId}) as d
         where ti.dag_id = ${dagId} and ti.run_id = ${runId} and ti.task_id = d.task_id and ${none} and d.next_state <> ${TaskInstanceState.NONE}
        returning ${this.dialect === 'postgres' ? sql`ti.*` : sql`*`}
      `.execute(this.db);
      moved.push(...rows.map(toTaskInstance));
    }
    return moved;
  }

  /**
   * The run's stored counts and its tries as of one moment: one statement on
   * PostgreSQL (one snapshot); on SQLite call it inside a transaction, whose
   * reads share one snapshot. A repair computed from it as deltas commutes
   * with the finishes that commit after it.
   */
  async snapshot(dagId: string, runId: string): Promise<{ counts: Map<string, UpstreamCounts>; tries: TaskInstance[] }> {
    if (this.dialect === 'sqlite') {
      const counts = await this.ofRun(dagId, runId);
      const tries = await this.db
        .selectFrom('task_instance')
        .selectAll()
        .where('dag_id', '=', dagId)
        .where('run_id', '=', runId)
        .orderBy('task_id')
        .orderBy('try_number')
        .execute();
      return { counts, tries: tries.map(toTaskInstance) };
    }
    const {
      rows: [answer],
    } = await sql<{ counts: Array<Record<string, string | number>>; tries: TaskInstanceTable[] }>`
      select (select coalesce(json_agg(c), '[]') from task_instance_upstream c where c.dag_id = ${dagId} and c.run_id = ${runId}) as counts,
             (select coalesce(json_agg(t order by t.task_id, t.try_number), '[]') from task_instance t where t.dag_id = ${dagId} and t.run_id = ${runId}) as tries
    `.execute(this.db);
    const counts = new Map(
      answer!.counts.map((row) => [
        String(row.task_id),
        Object.fromEntries(UPSTREAM_COUNT_NAMES.map((n) => [n, Number(row[n])])) as unknown as UpstreamCounts,
      ]),
    );
    return { counts, tries: answer!.tries.map(toTaskInstance) };
  }

  /** Sets `total` of these tasks: the DAG's structure changed under a running run (finishes never change it). */
  async setTotals(dagId: string, runId: string, totals: ReadonlyArray<{ taskId: string; total: number }>): Promise<void> {
    for (const { taskId, total } of totals) {
      await this.db
        .updateTable('task_instance_upstream')
        .set({ total })
        .where('dag_id', '=', dagId)
        .where('run_id', '=', runId)
        .where('task_id', '=', taskId)
        .execute();
    }
  }

  /** The stored counts of a run's tasks. */
  async ofRun(dagId: string, runId: string): Promise<Map<string, UpstreamCounts>> {
    const rows = await this.db
      .selectFrom('task_instance_upstream')
      .selectAll()
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .execute();
    return new Map(rows.map(({ dag_id: _d, run_id: _r, task_id, ...counts }) => [task_id, counts]));
  }

  /** Writes rows for tasks that have none (a run older than the counts); existing rows are left alone. */
  async createMissing(dagId: string, runId: string, rows: ReadonlyArray<{ taskId: string; counts: UpstreamCounts }>): Promise<void> {
    for (const batch of chunks(rows)) {
      await this.db
        .insertInto('task_instance_upstream')
        .values(batch.map((r) => ({ dag_id: dagId, run_id: runId, task_id: r.taskId, ...r.counts })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
}
