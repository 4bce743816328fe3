import { sql } from 'kysely';
import type { FinishPlan } from '../models/hand-off-plan.ts';
import { TaskInstanceState } from '../models/states.ts';
import { keyString } from '../models/task-instance-key.ts';
import type { Db } from './db.ts';
import type { TaskInstanceTable } from './schema.ts';
import { toTaskInstance, type TaskInstance } from './task-instance-repository.ts';
import { executePrepared } from './prepared-statements.ts';
import { decisionSql } from './upstream-counts.ts';

/** What {@link finishInOneStatement} did. */
export interface OneStatementFinishResult {
  /** The finishes recorded ({@link keyString}s): the others lost their compare-and-set. */
  recorded: Set<string>;
  /** The downstream tries it queued. */
  queued: TaskInstance[];
  /** Downstream tasks (of the run's `dag_id`, `run_id`) whose plan decided skipped or upstream_failed: left in `none`, for the transactional path to settle with their own downstream. */
  settle: Array<{ dagId: string; runId: string; taskId: string }>;
}

const column = <T>(items: readonly T[], pick: (item: T) => string | number | null) => items.map(pick);
const OUTCOMES = ['success', 'skipped', 'failed', 'upstream_failed', 'removed'] as const;

/**
 * PostgreSQL: records a group of finishes — state (compare-and-set from
 * `running`), last log lines, XCom — and their counted hand-off in one
 * statement of data-modifying CTEs that commits on its own: one round trip
 * per group instead of seven (BEGIN, outcome, log, XCom, counts, queue, COMMIT).
 *
 * The recorded finishes add to their downstream tasks' counts (ADR 13), one
 * row per downstream task whatever the fan-in; the updated counts come back
 * and the plans of the downstream tasks' trigger rules (compiled by
 * decisionSql, decided by the one evaluator) say which `none` tries move to
 * `queued`. A concurrent finish of another upstream of the same join waits
 * for that row and adds to the committed counts, so no join is missed. A
 * decision to skip or fail a downstream task is returned, not applied: that
 * task's own downstream counts must move in the same transaction.
 * State tests are `CASE`s so that the key, not the state, is the way in (see
 * TaskInstanceRepository's stateIn).
 */
export async function finishInOneStatement(db: Db, plan: FinishPlan): Promise<OneStatementFinishResult> {
  const at = plan.at.toISOString();
  const rows = plan.finishes;
  const edges = plan.edges;
  const queuedBy = plan.queuedBy;
  const logs = rows.filter((r) => r.log);
  const xcoms = rows.filter((r) => r.returnValue !== undefined);
  // Only the parts this group needs: planning the statement is a good share of its cost.
  const parts = [
    sql`
    f (dag_id, run_id, task_id, try_number, state, error) as (
      select * from unnest(${column(rows, (r) => r.key.dagId)}::text[], ${column(rows, (r) => r.key.runId)}::text[], ${column(rows, (r) => r.key.taskId)}::text[],
                           ${column(rows, (r) => r.key.tryNumber)}::int[], ${column(rows, (r) => r.state)}::text[], ${column(rows, (r) => r.error)}::text[])
    ),
    fin as (
      update task_instance ti
         set state = f.state, end_date = ${at}, error = f.error, updated_at = ${at},
             duration_ms = round(extract(epoch from (${at}::timestamptz - ti.start_date::timestamptz)) * 1000)::integer
        from f
       where ti.dag_id = f.dag_id and ti.run_id = f.run_id and ti.task_id = f.task_id and ti.try_number = f.try_number and case when ti.state = ${TaskInstanceState.RUNNING} then true else false end
      returning ti.dag_id, ti.run_id, ti.task_id, ti.try_number, ti.state
    )
  `,
  ];
  if (logs.length > 0)
    parts.push(sql`
    logs as (
      insert into task_log (dag_id, run_id, task_id, try_number, chunk, content, "timestamp")
      select l.dag_id, l.run_id, l.task_id, l.try_number, l.chunk, l.content, ${at}
        from unnest(${column(logs, (r) => r.key.dagId)}::text[], ${column(logs, (r) => r.key.runId)}::text[], ${column(logs, (r) => r.key.taskId)}::text[],
                    ${column(logs, (r) => r.key.tryNumber)}::int[], ${column(logs, (r) => r.log!.chunk)}::int[], ${column(logs, (r) => r.log!.content)}::text[])
             as l (dag_id, run_id, task_id, try_number, chunk, content)
        join fin using (dag_id, run_id, task_id, try_number)
      on conflict do nothing
    )
  `);
  if (xcoms.length > 0)
    parts.push(sql`
    xc as (
      insert into xcom (dag_id, run_id, task_id, key, value, "timestamp")
      select x.dag_id, x.run_id, x.task_id, 'return_value', x.value, ${at}
        from unnest(${column(xcoms, (r) => r.key.dagId)}::text[], ${column(xcoms, (r) => r.key.runId)}::text[], ${column(xcoms, (r) => r.key.taskId)}::text[],
                    ${column(xcoms, (r) => r.key.tryNumber)}::int[], ${column(xcoms, (r) => JSON.stringify(r.returnValue))}::text[])
             as x (dag_id, run_id, task_id, try_number, value)
        join fin using (dag_id, run_id, task_id, try_number)
      on conflict (dag_id, run_id, task_id, key) do update set value = excluded.value, "timestamp" = excluded."timestamp"
    )
  `);
  if (edges.length > 0)
    parts.push(sql`
    added as (
      select e.dag_id, e.run_id, e.down_id as task_id, min(e.rule) as rule,
             ${sql.join(OUTCOMES.map((o) => sql`count(*) filter (where fin.state = ${o}) as ${sql.raw(o)}`))},
             count(*) filter (where fin.state = any(${[...OUTCOMES]}::text[])) as done
        from unnest(${column(edges, (e) => e.dagId)}::text[], ${column(edges, (e) => e.runId)}::text[], ${column(edges, (e) => e.taskId)}::text[],
                    ${column(edges, (e) => e.downstreamTaskId)}::text[], ${column(edges, (e) => e.rule)}::text[]) as e (dag_id, run_id, task_id, down_id, rule)
        join fin using (dag_id, run_id, task_id)
       group by e.dag_id, e.run_id, e.down_id
    ),
    counted as (
      update task_instance_upstream c
         set ${sql.join([...OUTCOMES, 'done'].map((o) => sql`${sql.raw(o)} = c.${sql.raw(o)} + a.${sql.raw(o)}`))}
        from added a
       where c.dag_id = a.dag_id and c.run_id = a.run_id and c.task_id = a.task_id and a.done > 0
      returning c.*, a.rule
    ),
    decided as (
      select dag_id, run_id, task_id, ${decisionSql(plan.plans, 'counted', 'counted.rule')} as next_state from counted
    ),
    q as (
      update task_instance ti
         set state = ${TaskInstanceState.QUEUED}, queued_at = ${at}, queued_by = ${queuedBy}, updated_at = ${at}
        from decided d
       where ti.dag_id = d.dag_id and ti.run_id = d.run_id and ti.task_id = d.task_id and d.next_state = ${TaskInstanceState.QUEUED}
         and case when ti.state = ${TaskInstanceState.NONE} then true else false end
      returning ti.*
    )
  `);
  const {
    rows: [answer],
  } = await executePrepared(
    db,
    sql<{ finished: Array<[string, string, string, number]>; queued: TaskInstanceTable[]; settle: Array<[string, string, string]> }>`
    with ${sql.join(parts, sql`,`)}
    select (select coalesce(json_agg(json_build_array(dag_id, run_id, task_id, try_number)), '[]') from fin) as finished,
           ${edges.length > 0 ? sql`(select coalesce(json_agg(q), '[]') from q)` : sql`'[]'::json`} as queued,
           ${
             edges.length > 0
               ? sql`(select coalesce(json_agg(json_build_array(dag_id, run_id, task_id)), '[]') from decided where next_state in (${TaskInstanceState.SKIPPED}, ${TaskInstanceState.UPSTREAM_FAILED}))`
               : sql`'[]'::json`
           } as settle
  `,
  );
  return {
    recorded: new Set(answer!.finished.map(([dagId, runId, taskId, tryNumber]) => keyString({ dagId, runId, taskId, tryNumber }))),
    queued: answer!.queued.map(toTaskInstance),
    settle: answer!.settle.map(([dagId, runId, taskId]) => ({ dagId, runId, taskId })),
  };
}
