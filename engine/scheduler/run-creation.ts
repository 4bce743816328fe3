import { createTimetable, type DagRunInfo } from '../models/timetable.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { DagRunState, DagRunType } from '../models/states.ts';
import type { DagRow } from '../store/dag-repository.ts';
import { defaultRunId, type DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';

/** What run creation needs of a DAG. */
export type SchedulableDag = Pick<DagRow, 'dagId' | 'isPaused' | 'isActive' | 'spec'>;

/** The run after the newest scheduled/backfill one, by the DAG's timetable (null: none ever). */
export async function nextRunInfo(store: Store, spec: DagSpec, now: Date): Promise<DagRunInfo | null> {
  if (!spec.startDate) return null;
  const timetable = createTimetable(spec.schedule, `DAG '${spec.dagId}'`);
  const last = await store.runs.lastAutomatedInterval(spec.dagId);
  return timetable.nextDagRunInfo(
    last,
    {
      earliest: new Date(spec.startDate),
      latest: spec.endDate ? new Date(spec.endDate) : null,
      catchup: spec.catchup,
    },
    now,
  );
}

/**
 * Creates every run that is due now, oldest first, while the DAG has fewer
 * than `maxActiveRuns` queued or running. Idempotent: the store's unique
 * (dag, logical date) key makes a second scheduler's attempt a no-op.
 */
export async function createDueRuns(store: Store, dag: SchedulableDag, now: Date): Promise<DagRun[]> {
  if (dag.isPaused || !dag.isActive) return [];
  const created: DagRun[] = [];
  for (;;) {
    const active = (await store.runs.count(dag.dagId, DagRunState.QUEUED)) + (await store.runs.count(dag.dagId, DagRunState.RUNNING));
    if (active >= dag.spec.maxActiveRuns) break;
    const info = await nextRunInfo(store, dag.spec, now);
    if (!info || info.runAfter > now) break;
    const run = await store.runs.create(
      dag.spec,
      {
        runId: defaultRunId(DagRunType.SCHEDULED, info.logicalDate),
        runType: DagRunType.SCHEDULED,
        logicalDate: info.logicalDate,
        dataInterval: info.dataInterval,
        conf: {},
      },
      now,
    );
    if (!run) break;
    created.push(run);
  }
  return created;
}

/** Moves queued runs (oldest logical date first) to running while the DAG is under `maxActiveRuns`. */
export async function startQueuedRuns(store: Store, dag: SchedulableDag, now: Date): Promise<DagRun[]> {
  if (dag.isPaused) return [];
  // Queued runs a local process executes itself (dags backfill) are not the scheduler's to start.
  const queued = (await store.runs.listByState([DagRunState.QUEUED], dag.dagId)).filter((run) => !run.executor);
  let running = await store.runs.count(dag.dagId, DagRunState.RUNNING);
  const started: DagRun[] = [];
  for (const run of queued) {
    if (running >= dag.spec.maxActiveRuns) break;
    if (await store.runs.transition(run.dagId, run.runId, [DagRunState.QUEUED], DagRunState.RUNNING, now)) {
      running++;
      started.push({ ...run, state: DagRunState.RUNNING });
    }
  }
  return started;
}
