// A store seeded with a wide DAG's history, written straight to the tables (no scheduler, no
// workers): what the grid bench times and the browser tests draw. Deterministic: the same
// arguments give the same states, tries and durations.
import type { DagSpec, TaskSpec } from '../engine/models/dag-spec.ts';
import { DagRunState, DagRunType } from '../engine/models/states.ts';
import { defaultRunId } from '../engine/store/dag-run-repository.ts';
import type { Store } from '../engine/store/store.ts';

/** Options of {@link seedWideDag}. */
export interface WideDagOptions {
  dagId: string;
  /** Tasks in groups of `groupSize` (`extract_0.t0001` …): a chain inside each group, groups side by side. */
  tasks: number;
  /** @defaultValue 50 */
  groupSize?: number;
  /** The file the DAG claims to come from (the Code tab reads it). @defaultValue `/nonexistent/<dagId>.ts` */
  fileloc?: string;
  /** @defaultValue `{}` */
  params?: Record<string, unknown>;
}

const HOUR = 3_600_000;

function task(taskId: string, upstream: string[], downstream: string[]): TaskSpec {
  return {
    taskId,
    operator: 'BashOperator',
    owner: 'bench',
    triggerRule: 'all_success',
    queue: 'default',
    retries: 1,
    retryDelayMs: 1000,
    retryExponentialBackoff: false,
    maxRetryDelayMs: null,
    executionTimeoutMs: null,
    upstream,
    downstream,
    doc: null,
  };
}

/** The DAG: `groups` chains of `groupSize` tasks, ids `<group>.<task>` as Airflow names tasks in task groups. */
export function wideDagSpec(options: WideDagOptions): DagSpec {
  const size = options.groupSize ?? 50;
  const ids = Array.from(
    { length: options.tasks },
    (_, i) => `group_${String(Math.floor(i / size)).padStart(2, '0')}.task_${String(i % size).padStart(3, '0')}`,
  );
  const tasks = ids.map((id, i) => {
    const first = i % size === 0,
      last = i % size === size - 1 || i === ids.length - 1;
    return task(id, first ? [] : [ids[i - 1]!], last ? [] : [ids[i + 1]!]);
  });
  return {
    dagId: options.dagId,
    description: `${options.tasks} tasks in groups of ${size}`,
    tags: ['synthetic'],
    schedule: '@hourly',
    startDate: '2020-01-01T00:00:00.000Z',
    endDate: null,
    catchup: false,
    maxActiveRuns: 16,
    dagrunTimeoutMs: null,
    params: options.params ?? {},
    owners: ['bench'],
    tasks,
  };
}

/**
 * Registers `spec` and writes `runs` hourly runs: finished ones (some failed, some tasks retried), the newest
 * still running, started at the last full hour (so a page sees its running time grow as it would live).
 */
export async function seedHistory(store: Store, spec: DagSpec, runs: number, fileloc = `/nonexistent/${spec.dagId}.ts`): Promise<string[]> {
  const START = Math.floor(Date.now() / HOUR) * HOUR - runs * HOUR;
  const now = new Date();
  await store.dags.upsert(spec, { fileloc, relativeFileloc: null }, 'synthetic000000', now.toISOString());
  const runIds: string[] = [];
  for (let r = 0; r < runs; r++) {
    const logicalDate = new Date(START + r * HOUR);
    const runId = defaultRunId(DagRunType.SCHEDULED, logicalDate);
    const newest = r === runs - 1;
    const failed = !newest && r % 7 === 3;
    await store.runs.create(
      spec,
      {
        runId,
        runType: DagRunType.SCHEDULED,
        logicalDate,
        dataInterval: { start: logicalDate, end: new Date(logicalDate.getTime() + HOUR) },
        conf: {},
      },
      now,
    );
    runIds.push(runId);
    const runStart = logicalDate.getTime() + HOUR;
    let runEnd = runStart;
    await store.write(async (tx) => {
      for (const [i, t] of spec.tasks.entries()) {
        // Deterministic variety: durations differ per task and per run.
        const queuedMs = 200 + ((i * 37 + r * 11) % 900);
        const durationMs = 1000 + ((i * 131 + r * 71) % 20_000);
        const queued = runStart + (i % 50) * 400;
        const start = queued + queuedMs;
        const end = start + durationMs;
        let state = 'success';
        if (newest) state = i % 50 < 25 ? 'success' : i % 50 === 25 ? 'running' : 'none';
        else if (failed && i % 50 === 40) state = 'failed';
        else if (failed && i % 50 > 40) state = 'upstream_failed';
        else if (i % 97 === 5) state = 'skipped';
        const ran = state === 'success' || state === 'failed' || state === 'running';
        const finished = ran && state !== 'running';
        if (finished) runEnd = Math.max(runEnd, end);
        const iso = (ms: number) => new Date(ms).toISOString();
        await tx
          .updateTable('task_instance')
          .set({
            state,
            queued_at: ran ? iso(queued) : null,
            start_date: ran ? iso(start) : null,
            end_date: finished ? iso(end) : null,
            duration_ms: finished ? durationMs : null,
            hostname: ran ? 'bench-host' : null,
            worker_id: ran ? 'bench-host:1' : null,
            error: state === 'failed' ? 'exit code 1' : null,
          })
          .where('dag_id', '=', spec.dagId)
          .where('run_id', '=', runId)
          .where('task_id', '=', t.taskId)
          .where('try_number', '=', 1)
          .execute();
        // Every 13th task needed a second try: try 1 failed and went up for retry first.
        if (finished && i % 13 === 0) {
          await tx
            .updateTable('task_instance')
            .set({ state: 'failed', error: 'transient error', end_date: iso(start + durationMs / 2), duration_ms: durationMs / 2 })
            .where('dag_id', '=', spec.dagId)
            .where('run_id', '=', runId)
            .where('task_id', '=', t.taskId)
            .where('try_number', '=', 1)
            .execute();
          await tx
            .insertInto('task_instance')
            .values({
              dag_id: spec.dagId,
              run_id: runId,
              task_id: t.taskId,
              try_number: 2,
              state,
              operator: t.operator,
              queue: t.queue,
              max_tries: 2,
              queued_at: iso(end + 1000),
              start_date: iso(end + 1500),
              end_date: iso(end + 1500 + durationMs),
              duration_ms: durationMs,
              hostname: 'bench-host',
              worker_id: 'bench-host:1',
              error: null,
              updated_at: iso(end),
              retry_delay_ms: 1000,
              retry_exponential_backoff: 0,
              max_retry_delay_ms: null,
              queued_by: 'scheduler bench',
            })
            .execute();
          if (finished) runEnd = Math.max(runEnd, end + 1500 + durationMs);
        }
      }
      const runState = newest ? DagRunState.RUNNING : failed ? DagRunState.FAILED : DagRunState.SUCCESS;
      await tx
        .updateTable('dag_run')
        .set({ state: runState, start_date: new Date(runStart).toISOString(), end_date: newest ? null : new Date(runEnd).toISOString() })
        .where('dag_id', '=', spec.dagId)
        .where('run_id', '=', runId)
        .execute();
    });
  }
  return runIds;
}
