import { sql } from 'kysely';
import { handOffReads, planHandOff } from '../execution/dag-run-evaluator.ts';
import type { DagStructure } from '../models/dag-spec.ts';
import { TaskInstanceState } from '../models/states.ts';
import { keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { TaskInstanceTable } from './schema.ts';
import type { Store } from './store.ts';
import { toTaskInstance, type TaskInstance } from './task-instance-repository.ts';
import type { FinishedTry, FinishOptions, SettledTry } from './try-lifecycle.ts';

/** A finish as {@link finishInOneStatement} takes it. */
export interface OneStatementFinish {
  ti: TaskInstance;
  settled: SettledTry;
  options: FinishOptions;
}

/** A downstream try to queue, only if every try in `after` is recorded by the same statement. */
interface QueueTarget {
  ti: TaskInstance;
  after: TaskInstanceKey[];
}

const RUNNING: readonly TaskInstanceState[] = [TaskInstanceState.RUNNING];
const sameStates = (a: readonly TaskInstanceState[], b: readonly TaskInstanceState[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * PostgreSQL: records a group of finishes — state (compare-and-set from
 * `running`), last log lines, XCom and the downstream hand-off — in one
 * statement of data-modifying CTEs that commits on its own: one round trip
 * per group instead of seven (BEGIN, outcome, log, XCom, read, queue, COMMIT).
 *
 * The hand-off is decided before the statement, by {@link planHandOff} (the
 * one trigger-rule evaluator) on the run's tries read just before, and the
 * statement only applies it: a downstream try is queued only from `none`,
 * and only if every finishing try its decision counted on was recorded. A
 * concurrent finish elsewhere that the read missed leaves its downstream
 * waiting, as two transactions under READ COMMITTED do; the scheduler's pass
 * on the completion picks it up.
 *
 * Its state tests are `CASE`s so that the key, not the state, is the way in
 * (see TaskInstanceRepository's stateIn).
 *
 * Returns one entry per request; null for those that must take the
 * transactional path (a branch's skips, a decision to skip or fail
 * downstream, a compare-and-set from other states, a try left `scheduled`).
 */
export async function finishInOneStatement(store: Store, requests: readonly OneStatementFinish[], end: Date): Promise<Array<FinishedTry | null>> {
  const results: Array<FinishedTry | null> = requests.map(() => null);
  const fast = new Map<string, number>();
  const duplicates: number[] = [];
  requests.forEach((r, i) => {
    if (r.settled.skip.length > 0 || !sameStates(r.options.from ?? RUNNING, RUNNING)) return;
    // The same try finished twice in one group (a duplicate delivery) is recorded once, for its first request.
    if (fast.has(keyString(r.ti))) duplicates.push(i);
    else fast.set(keyString(r.ti), i);
  });

  const targets: QueueTarget[] = [];
  for (const group of byRun([...fast.values()].map((i) => requests[i]!))) {
    const deciding = group.filter((r) => r.options.structure && r.settled.state !== TaskInstanceState.UP_FOR_RETRY);
    if (deciding.length === 0) continue;
    const structure = deciding[0]!.options.structure!;
    const plan = await planGroup(store, structure, deciding);
    if (plan) targets.push(...plan);
    else for (const r of group) fast.delete(keyString(r.ti));
  }
  if (fast.size === 0) return results;

  const rows = [...fast.values()].map((i) => requests[i]!);
  const { recorded, queued } = await runStatement(store, rows, targets, end, rows[0]!.options.queuedBy);
  for (const i of fast.values()) {
    const r = requests[i]!;
    results[i] = { ...r.settled, recorded: recorded.has(keyString(r.ti)), queued: [] };
  }
  for (const i of duplicates) results[i] = { ...requests[i]!.settled, recorded: false, queued: [] };
  // Each queued try goes to the hand-off of one finish it came after (the enqueue is idempotent by job id).
  for (const ti of queued) {
    const target = targets.find((t) => keyString(t.ti) === keyString(ti));
    const owner = target?.after.map((k) => fast.get(keyString(k))).find((i) => i !== undefined && results[i]!.recorded);
    if (owner !== undefined) results[owner]!.queued.push(ti);
  }
  for (const r of results) r?.queued.sort((a, b) => (structureOf(requests, a)?.position.get(a.taskId) ?? 0) - (structureOf(requests, b)?.position.get(b.taskId) ?? 0));
  return results;
}

function structureOf(requests: readonly OneStatementFinish[], ti: TaskInstance): DagStructure | null {
  return requests.find((r) => r.ti.dagId === ti.dagId)?.options.structure ?? null;
}

function byRun(requests: readonly OneStatementFinish[]): OneStatementFinish[][] {
  const runs = new Map<string, OneStatementFinish[]>();
  for (const r of requests) {
    const key = `${r.ti.dagId}\u0000${r.ti.runId}`;
    runs.set(key, [...(runs.get(key) ?? []), r]);
  }
  return [...runs.values()];
}

/** The run's hand-off for these finishes (one read), or null when it is not only "queue these". */
async function planGroup(store: Store, structure: DagStructure, finishing: readonly OneStatementFinish[]): Promise<QueueTarget[] | null> {
  const { dagId, runId } = finishing[0]!.ti;
  const taskIds = finishing.map((r) => r.ti.taskId);
  const reads = handOffReads(structure, taskIds);
  if (reads.length === taskIds.length) return []; // leaves: nothing downstream
  const states = await store.tasks.latestTriesFor(dagId, runId, reads);
  for (const r of finishing) {
    if (states.get(r.ti.taskId)?.tryNumber === r.ti.tryNumber) states.set(r.ti.taskId, { ...r.ti, state: r.settled.state });
  }
  const ready = await planHandOff(structure, states, new Set(reads), taskIds);
  if (!ready) return null;
  return ready.map((ti) => ({ ti, after: finishing.filter((r) => structure.tasks.get(ti.taskId)?.upstream.includes(r.ti.taskId)).map((r) => r.ti) }));
}

const column = <T>(items: readonly T[], pick: (item: T) => string | number | null) => items.map(pick);

async function runStatement(store: Store, rows: readonly OneStatementFinish[], targets: readonly QueueTarget[], end: Date, queuedBy: string): Promise<{ recorded: Set<string>; queued: TaskInstance[] }> {
  const at = end.toISOString();
  const logs = rows.filter((r) => r.options.log);
  const xcoms = rows.filter((r) => r.settled.state === TaskInstanceState.SUCCESS && r.settled.value !== undefined && r.settled.value !== null);
  const after = targets.flatMap((t) => t.after.map((a) => ({ t: t.ti, a })));
  const { rows: [answer] } = await sql<{ finished: Array<[string, string, string, number]>; queued: TaskInstanceTable[] }>`
    with f (dag_id, run_id, task_id, try_number, state, error) as (
      select * from unnest(${column(rows, (r) => r.ti.dagId)}::text[], ${column(rows, (r) => r.ti.runId)}::text[], ${column(rows, (r) => r.ti.taskId)}::text[],
                           ${column(rows, (r) => r.ti.tryNumber)}::int[], ${column(rows, (r) => r.settled.state)}::text[], ${column(rows, (r) => r.settled.error)}::text[])
    ),
    fin as (
      update task_instance ti
         set state = f.state, end_date = ${at}, error = f.error, updated_at = ${at},
             duration_ms = round(extract(epoch from (${at}::timestamptz - ti.start_date::timestamptz)) * 1000)::integer
        from f
       where ti.dag_id = f.dag_id and ti.run_id = f.run_id and ti.task_id = f.task_id and ti.try_number = f.try_number and case when ti.state = ${TaskInstanceState.RUNNING} then true else false end
      returning ti.dag_id, ti.run_id, ti.task_id, ti.try_number
    ),
    logs as (
      insert into task_log (dag_id, run_id, task_id, try_number, chunk, content, "timestamp")
      select l.dag_id, l.run_id, l.task_id, l.try_number, l.chunk, l.content, ${at}
        from unnest(${column(logs, (r) => r.ti.dagId)}::text[], ${column(logs, (r) => r.ti.runId)}::text[], ${column(logs, (r) => r.ti.taskId)}::text[],
                    ${column(logs, (r) => r.ti.tryNumber)}::int[], ${column(logs, (r) => r.options.log!.chunk)}::int[], ${column(logs, (r) => r.options.log!.content)}::text[])
             as l (dag_id, run_id, task_id, try_number, chunk, content)
        join fin using (dag_id, run_id, task_id, try_number)
      on conflict do nothing
    ),
    xc as (
      insert into xcom (dag_id, run_id, task_id, key, value, "timestamp")
      select x.dag_id, x.run_id, x.task_id, 'return_value', x.value, ${at}
        from unnest(${column(xcoms, (r) => r.ti.dagId)}::text[], ${column(xcoms, (r) => r.ti.runId)}::text[], ${column(xcoms, (r) => r.ti.taskId)}::text[],
                    ${column(xcoms, (r) => r.ti.tryNumber)}::int[], ${column(xcoms, (r) => JSON.stringify(r.settled.value))}::text[])
             as x (dag_id, run_id, task_id, try_number, value)
        join fin using (dag_id, run_id, task_id, try_number)
      on conflict (dag_id, run_id, task_id, key) do update set value = excluded.value, "timestamp" = excluded."timestamp"
    ),
    q as (
      update task_instance ti
         set state = ${TaskInstanceState.QUEUED}, queued_at = ${at}, queued_by = ${queuedBy}, updated_at = ${at}
        from unnest(${column(targets, (t) => t.ti.dagId)}::text[], ${column(targets, (t) => t.ti.runId)}::text[], ${column(targets, (t) => t.ti.taskId)}::text[],
                    ${column(targets, (t) => t.ti.tryNumber)}::int[]) as d (dag_id, run_id, task_id, try_number)
       where ti.dag_id = d.dag_id and ti.run_id = d.run_id and ti.task_id = d.task_id and ti.try_number = d.try_number and case when ti.state = ${TaskInstanceState.NONE} then true else false end
         and not exists (
           select 1
             from unnest(${column(after, (p) => p.t.dagId)}::text[], ${column(after, (p) => p.t.runId)}::text[], ${column(after, (p) => p.t.taskId)}::text[],
                         ${column(after, (p) => p.t.tryNumber)}::int[], ${column(after, (p) => p.a.taskId)}::text[], ${column(after, (p) => p.a.tryNumber)}::int[])
                  as a (dag_id, run_id, task_id, try_number, after_task_id, after_try_number)
            where a.dag_id = d.dag_id and a.run_id = d.run_id and a.task_id = d.task_id and a.try_number = d.try_number
              and not exists (select 1 from fin where fin.dag_id = a.dag_id and fin.run_id = a.run_id and fin.task_id = a.after_task_id and fin.try_number = a.after_try_number))
      returning ti.*
    )
    select (select coalesce(json_agg(json_build_array(dag_id, run_id, task_id, try_number)), '[]') from fin) as finished,
           (select coalesce(json_agg(q), '[]') from q) as queued
  `.execute(store.db);
  return {
    recorded: new Set(answer!.finished.map(([dagId, runId, taskId, tryNumber]) => keyString({ dagId, runId, taskId, tryNumber }))),
    queued: answer!.queued.map(toTaskInstance),
  };
}
