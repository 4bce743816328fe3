import { sql } from 'kysely';
import { advanceDagRun, handOffReads, planHandOff } from '../execution/dag-run-evaluator.ts';
import type { DagStructure } from '../models/dag-spec.ts';
import { FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import { keyString, runKeyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { TaskInstanceTable } from './schema.ts';
import type { DagRun } from './dag-run-repository.ts';
import type { Store } from './store.ts';
import { toTaskInstance, type TaskInstance } from './task-instance-repository.ts';
import type { FinishedTry, FinishOptions, SettledTry } from './try-lifecycle.ts';
import { executePrepared } from './prepared-statements.ts';

/** A finish as {@link finishInOneStatement} takes it. */
export interface OneStatementFinish {
  ti: TaskInstance;
  run: DagRun;
  settled: SettledTry;
  options: FinishOptions;
}

/** The tries of one run a hand-off decision reads: its downstream tasks' and theirs upstream. */
export interface HandOffRead {
  /** Task ids read (a task read and found without a try is absent from `states`). */
  reads: ReadonlySet<string>;
  states: Map<string, TaskInstance>;
}

/** A downstream try to queue, only if every try in `after` is recorded by the same statement. */
interface QueueTarget {
  ti: TaskInstance;
  after: TaskInstanceKey[];
}

/**
 * A task's try the decision was made from, as the trigger rules see it: its
 * finished state, or `unfinished` (queued, running, a retry: to the rules
 * all alike). The statement queues nothing unless each is still so.
 */
interface Premise {
  dagId: string;
  runId: string;
  taskId: string;
  state: TaskInstanceState | 'unfinished';
}

interface RunPlan {
  run: DagRun;
  structure: DagStructure;
  taskIds: string[];
  targets: QueueTarget[];
  premises: Premise[];
}

/** Reads what the hand-off of these finishing tries (of one run) is decided from; no statement when they have no downstream. */
export async function readHandOff(store: Store, structure: DagStructure, finishing: readonly TaskInstanceKey[]): Promise<HandOffRead> {
  const { dagId, runId } = finishing[0]!;
  const reads = handOffReads(structure, finishing.map((k) => k.taskId));
  const states = reads.length === finishing.length ? new Map<string, TaskInstance>() : await store.tasks.latestTriesFor(dagId, runId, reads);
  return { reads: new Set(reads), states };
}

const RUNNING: readonly TaskInstanceState[] = [TaskInstanceState.RUNNING];
const sameStates = (a: readonly TaskInstanceState[], b: readonly TaskInstanceState[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * PostgreSQL: records a group of finishes — state (compare-and-set from
 * `running`), last log lines, XCom and the downstream hand-off — in one
 * statement of data-modifying CTEs that commits on its own: one round trip
 * per group instead of seven (BEGIN, outcome, log, XCom, read, queue, COMMIT).
 *
 * The hand-off is decided before the statement by {@link planHandOff} (the
 * one trigger-rule evaluator), from the run's tries as read while the try ran
 * ({@link FinishOptions.handOffRead}) or just before. The statement applies
 * the decision as a compare-and-set on everything it was made from: a
 * downstream try is queued only from `none`, only if every finishing try the
 * decision counted on was recorded, and only if every try it read is still
 * as read. When one is not (a concurrent finish, a clear), the finishes are
 * recorded and their hand-off is decided again the transactional way
 * ({@link advanceDagRun}). Its state tests are `CASE`s so that the key, not
 * the state, is the way in (see TaskInstanceRepository's stateIn).
 *
 * Returns one entry per request; null for those that must take the
 * transactional path whole (a branch's skips, a decision to skip or fail
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

  const plans: RunPlan[] = [];
  for (const group of byRun([...fast.values()].map((i) => requests[i]!))) {
    const deciding = group.filter((r) => r.options.structure && r.settled.state !== TaskInstanceState.UP_FOR_RETRY);
    if (deciding.length === 0) continue;
    const plan = await planRun(store, deciding[0]!.options.structure!, deciding);
    if (plan) plans.push(plan);
    else for (const r of group) fast.delete(keyString(r.ti));
  }
  if (fast.size === 0) return results;

  const rows = [...fast.values()].map((i) => requests[i]!);
  const queuedBy = rows[0]!.options.queuedBy;
  const { recorded, queued, stale } = await runStatement(store, rows, plans, end, queuedBy);
  for (const i of fast.values()) {
    const r = requests[i]!;
    results[i] = { ...r.settled, recorded: recorded.has(keyString(r.ti)), queued: [] };
  }
  for (const i of duplicates) results[i] = { ...requests[i]!.settled, recorded: false, queued: [] };
  const ownerOf = (after: readonly TaskInstanceKey[]): FinishedTry | undefined =>
    after.map((k) => fast.get(keyString(k))).filter((i) => i !== undefined && results[i]!.recorded).map((i) => results[i!]!)[0];
  if (stale) {
    // Something the decision was read from has moved: decide again from the store as it is now.
    for (const plan of plans) {
      const finished = plan.taskIds.filter((id) => rows.some((r) => r.ti.taskId === id && r.ti.runId === plan.run.runId && recorded.has(keyString(r.ti))));
      if (finished.length === 0) continue;
      const step = await store.atomically((tx) => advanceDagRun(tx, plan.structure, plan.run, end, { changed: finished, queuedBy, finish: false }));
      const owner = ownerOf(rows.filter((r) => r.ti.runId === plan.run.runId && r.ti.dagId === plan.run.dagId && finished.includes(r.ti.taskId)).map((r) => r.ti));
      owner?.queued.push(...step.queued);
    }
  } else {
    // Each queued try goes to the hand-off of one finish it came after (the enqueue is idempotent by job id).
    const targets = plans.flatMap((p) => p.targets);
    for (const ti of queued) ownerOf(targets.find((t) => keyString(t.ti) === keyString(ti))?.after ?? [])?.queued.push(ti);
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
    const key = runKeyString(r.ti.dagId, r.ti.runId);
    runs.set(key, [...(runs.get(key) ?? []), r]);
  }
  return [...runs.values()];
}

/**
 * The run's hand-off for these finishes, or null when it is not only "queue
 * these". Decided from what was read while the tries ran when every one of
 * them has its read, else from one read now.
 */
async function planRun(store: Store, structure: DagStructure, finishing: readonly OneStatementFinish[]): Promise<RunPlan | null> {
  const taskIds = finishing.map((r) => r.ti.taskId);
  const ahead = await Promise.all(finishing.map((r) => r.options.handOffRead ?? Promise.resolve(null)));
  let read: HandOffRead;
  if (ahead.every((a) => a !== null)) {
    read = { reads: new Set(ahead.flatMap((a) => [...a!.reads])), states: new Map(ahead.flatMap((a) => [...a!.states])) };
  } else {
    read = await readHandOff(store, structure, finishing.map((r) => r.ti));
  }
  const states = new Map(read.states);
  // A running try is its task's newest (a try is superseded only from up_for_retry or a finished state), even if it was opened after the read.
  for (const r of finishing) states.set(r.ti.taskId, { ...r.ti, state: r.settled.state });
  const ready = await planHandOff(structure, states, read.reads, taskIds);
  if (!ready) return null;
  return {
    run: finishing[0]!.run,
    structure,
    taskIds,
    targets: ready.map((ti) => ({ ti, after: finishing.filter((r) => structure.tasks.get(ti.taskId)?.upstream.includes(r.ti.taskId)).map((r) => r.ti) })),
    premises: [...read.states.values()].filter((ti) => !taskIds.includes(ti.taskId))
      .map((ti) => ({ dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, state: FINISHED_TASK_STATES.has(ti.state) ? ti.state : 'unfinished' })),
  };
}

const column = <T>(items: readonly T[], pick: (item: T) => string | number | null) => items.map(pick);

async function runStatement(store: Store, rows: readonly OneStatementFinish[], plans: readonly RunPlan[], end: Date, queuedBy: string): Promise<{ recorded: Set<string>; queued: TaskInstance[]; stale: boolean }> {
  const at = end.toISOString();
  const targets = plans.flatMap((p) => p.targets);
  const premises = plans.flatMap((p) => p.premises);
  const logs = rows.filter((r) => r.options.log);
  const xcoms = rows.filter((r) => r.settled.state === TaskInstanceState.SUCCESS && r.settled.value !== undefined && r.settled.value !== null);
  const after = targets.flatMap((t) => t.after.map((a) => ({ t: t.ti, a })));
  // Only the parts this group needs: planning the statement is a good share of its cost.
  const parts = [sql`
    f (dag_id, run_id, task_id, try_number, state, error) as (
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
    )
  `];
  if (logs.length > 0) parts.push(sql`
    logs as (
      insert into task_log (dag_id, run_id, task_id, try_number, chunk, content, "timestamp")
      select l.dag_id, l.run_id, l.task_id, l.try_number, l.chunk, l.content, ${at}
        from unnest(${column(logs, (r) => r.ti.dagId)}::text[], ${column(logs, (r) => r.ti.runId)}::text[], ${column(logs, (r) => r.ti.taskId)}::text[],
                    ${column(logs, (r) => r.ti.tryNumber)}::int[], ${column(logs, (r) => r.options.log!.chunk)}::int[], ${column(logs, (r) => r.options.log!.content)}::text[])
             as l (dag_id, run_id, task_id, try_number, chunk, content)
        join fin using (dag_id, run_id, task_id, try_number)
      on conflict do nothing
    )
  `);
  if (xcoms.length > 0) parts.push(sql`
    xc as (
      insert into xcom (dag_id, run_id, task_id, key, value, "timestamp")
      select x.dag_id, x.run_id, x.task_id, 'return_value', x.value, ${at}
        from unnest(${column(xcoms, (r) => r.ti.dagId)}::text[], ${column(xcoms, (r) => r.ti.runId)}::text[], ${column(xcoms, (r) => r.ti.taskId)}::text[],
                    ${column(xcoms, (r) => r.ti.tryNumber)}::int[], ${column(xcoms, (r) => JSON.stringify(r.settled.value))}::text[])
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
        from unnest(${column(targets, (t) => t.ti.dagId)}::text[], ${column(targets, (t) => t.ti.runId)}::text[], ${column(targets, (t) => t.ti.taskId)}::text[],
                    ${column(targets, (t) => t.ti.tryNumber)}::int[]) as d (dag_id, run_id, task_id, try_number)
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
  const { rows: [answer] } = await executePrepared(store.db, sql<{ finished: Array<[string, string, string, number]>; queued: TaskInstanceTable[]; stale: boolean }>`
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
  store: Store, keys: readonly TaskInstanceKey[], from: readonly TaskInstanceState[], patch: { start_date: string; hostname: string; worker_id: string }, reads: readonly TaskInstanceKey[],
): Promise<{ started: TaskInstance[]; read: TaskInstance[] }> {
  const { rows: [answer] } = await executePrepared(store.db, sql<{ started: TaskInstanceTable[]; read: TaskInstanceTable[] }>`
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
