import { sql } from 'kysely';
import type { FinishPlan } from '../models/hand-off-plan.ts';
import { FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import { keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { Db } from './db.ts';
import type { TaskInstanceTable } from './schema.ts';
import { toTaskInstance, type TaskInstance } from './task-instance-repository.ts';
import { executePrepared } from './prepared-statements.ts';

/** What {@link finishInOneStatement} did. */
export interface OneStatementFinishResult {
  /** The finishes recorded ({@link keyString}s): the others lost their compare-and-set. */
  recorded: Set<string>;
  /** The downstream tries it queued. */
  queued: TaskInstance[];
  /** A premise no longer held: nothing was queued (the finishes were recorded). */
  stale: boolean;
}

const column = <T>(items: readonly T[], pick: (item: T) => string | number | null) => items.map(pick);

/**
 * PostgreSQL: records a group of finishes — state (compare-and-set from
 * `running`), last log lines, XCom and the downstream hand-off — in one
 * statement of data-modifying CTEs that commits on its own: one round trip
 * per group instead of seven (BEGIN, outcome, log, XCom, read, queue, COMMIT).
 *
 * It applies a decision made before it by execution (a {@link FinishPlan}) as
 * a compare-and-set on everything the decision was made from: a downstream
 * try is queued only from `none`, only if every finishing try the decision
 * counted on was recorded, and only if every premise still holds. Its state
 * tests are `CASE`s so that the key, not the state, is the way in (see
 * TaskInstanceRepository's stateIn).
 */
export async function finishInOneStatement(db: Db, plan: FinishPlan): Promise<OneStatementFinishResult> {
  const at = plan.at.toISOString();
  const rows = plan.finishes;
  const targets = plan.handOff.queue;
  const premises = plan.handOff.premises;
  const queuedBy = plan.queuedBy;
  const logs = rows.filter((r) => r.log);
  const xcoms = rows.filter((r) => r.returnValue !== undefined);
  const after = targets.flatMap((t) => t.after.map((a) => ({ t: t.key, a })));
  // Only the parts this group needs: planning the statement is a good share of its cost.
  const parts = [sql`
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
      returning ti.dag_id, ti.run_id, ti.task_id, ti.try_number
    )
  `];
  if (logs.length > 0) parts.push(sql`
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
  if (xcoms.length > 0) parts.push(sql`
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
  if (premises.length > 0) parts.push(sql`
    stale as (
      select 1
        from unnest(${column(premises, (p) => p.dagId)}::text[], ${column(premises, (p) => p.runId)}::text[], ${column(premises, (p) => p.taskId)}::text[],
                    ${column(premises, (p) => p.state)}::text[]) as p (dag_id, run_id, task_id, state)
       where not exists (
         select 1 from task_instance x
          where x.dag_id = p.dag_id and x.run_id = p.run_id and x.task_id = p.task_id
            and (x.state = p.state or (p.state = 'unfinished' and not x.state = any(${[...FINISHED_TASK_STATES]}::text[])))
            and not exists (select 1 from task_instance y where y.dag_id = x.dag_id and y.run_id = x.run_id and y.task_id = x.task_id and y.try_number > x.try_number))
       limit 1
    )
  `);
  if (targets.length > 0) parts.push(sql`
    q as (
      update task_instance ti
         set state = ${TaskInstanceState.QUEUED}, queued_at = ${at}, queued_by = ${queuedBy}, updated_at = ${at}
        from unnest(${column(targets, (t) => t.key.dagId)}::text[], ${column(targets, (t) => t.key.runId)}::text[], ${column(targets, (t) => t.key.taskId)}::text[],
                    ${column(targets, (t) => t.key.tryNumber)}::int[]) as d (dag_id, run_id, task_id, try_number)
       where ti.dag_id = d.dag_id and ti.run_id = d.run_id and ti.task_id = d.task_id and ti.try_number = d.try_number and case when ti.state = ${TaskInstanceState.NONE} then true else false end
         ${premises.length > 0 ? sql`and not exists (select 1 from stale)` : sql``}
         and not exists (
           select 1
             from unnest(${column(after, (p) => p.t.dagId)}::text[], ${column(after, (p) => p.t.runId)}::text[], ${column(after, (p) => p.t.taskId)}::text[],
                         ${column(after, (p) => p.t.tryNumber)}::int[], ${column(after, (p) => p.a.taskId)}::text[], ${column(after, (p) => p.a.tryNumber)}::int[])
                  as a (dag_id, run_id, task_id, try_number, after_task_id, after_try_number)
            where a.dag_id = d.dag_id and a.run_id = d.run_id and a.task_id = d.task_id and a.try_number = d.try_number
              and not exists (select 1 from fin where fin.dag_id = a.dag_id and fin.run_id = a.run_id and fin.task_id = a.after_task_id and fin.try_number = a.after_try_number))
      returning ti.*
    )
  `);
  const { rows: [answer] } = await executePrepared(db, sql<{ finished: Array<[string, string, string, number]>; queued: TaskInstanceTable[]; stale: boolean }>`
    with ${sql.join(parts, sql`,`)}
    select (select coalesce(json_agg(json_build_array(dag_id, run_id, task_id, try_number)), '[]') from fin) as finished,
           ${targets.length > 0 ? sql`(select coalesce(json_agg(q), '[]') from q)` : sql`'[]'::json`} as queued,
           ${premises.length > 0 ? sql`exists (select 1 from stale)` : sql`false`} as stale
  `);
  return {
    recorded: new Set(answer!.finished.map(([dagId, runId, taskId, tryNumber]) => keyString({ dagId, runId, taskId, tryNumber }))),
    queued: answer!.queued.map(toTaskInstance),
    stale: answer!.stale,
  };
}

/**
 * PostgreSQL: starts many tries (compare-and-set from `from`, as
 * TaskInstanceRepository.transitionManyReturning) and, in the same statement,
 * reads the tries their finishes' hand-off will be decided from: the read
 * rides on a round trip the start makes anyway. The read sees the run as it
 * was just before the start.
 */
export async function startAndReadHandOff(
  db: Db, keys: readonly TaskInstanceKey[], from: readonly TaskInstanceState[], patch: { start_date: string; hostname: string; worker_id: string }, reads: readonly TaskInstanceKey[],
): Promise<{ started: TaskInstance[]; read: TaskInstance[] }> {
  const { rows: [answer] } = await executePrepared(db, sql<{ started: TaskInstanceTable[]; read: TaskInstanceTable[] }>`
    with s as (
      update task_instance
         set state = ${TaskInstanceState.RUNNING}, start_date = ${patch.start_date}, hostname = ${patch.hostname}, worker_id = ${patch.worker_id},
             end_date = null, error = null, updated_at = ${patch.start_date}
       where (dag_id, run_id, task_id, try_number) in (select * from unnest(${column(keys, (k) => k.dagId)}::text[], ${column(keys, (k) => k.runId)}::text[],
                                                                       ${column(keys, (k) => k.taskId)}::text[], ${column(keys, (k) => k.tryNumber)}::int[]))
         and case when state = any(${[...from]}::text[]) then true else false end
      returning *
    )
    select (select coalesce(json_agg(s), '[]') from s) as started,
           (select coalesce(json_agg(t), '[]')
              from task_instance t
              join unnest(${column(reads, (k) => k.dagId)}::text[], ${column(reads, (k) => k.runId)}::text[], ${column(reads, (k) => k.taskId)}::text[]) as w (dag_id, run_id, task_id)
                using (dag_id, run_id, task_id)) as read
  `);
  return { started: answer!.started.map(toTaskInstance), read: answer!.read.map(toTaskInstance) };
}
