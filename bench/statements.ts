import { DagStructure } from '../engine/models/dag-spec.ts';
import { DagRunState, DagRunType } from '../engine/models/states.ts';
import type { Store } from '../engine/store/store.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import { settleTry } from '../engine/execution/try-outcome.ts';

export interface PhaseCounts {
  statements: number;
  commits: number;
}

/**
 * Statements and commits per task on the hot path, counted by the store's
 * debug counter while walking a chain DAG through the try lifecycle in this
 * process, one call at a time (so nothing is batched with anything else):
 * the try start, and the outcome with its downstream hand-off.
 */
export async function statementsPerTask(store: Store, dagId: string): Promise<{ start: PhaseCounts; finish: PhaseCounts }> {
  const row = await store.dags.get(dagId);
  if (!row) throw new Error(`bench: DAG ${dagId} is not in the store`);
  const structure = new DagStructure(row.spec);
  const now = (): Date => new Date();
  const run = await store.runs.create(
    row.spec,
    {
      runId: `statements_${Date.now()}`,
      runType: DagRunType.MANUAL,
      logicalDate: new Date(Date.UTC(2000, 0, 1)),
      dataInterval: { start: new Date(Date.UTC(2000, 0, 1)), end: new Date(Date.UTC(2000, 0, 1)) },
      conf: {},
      state: DagRunState.RUNNING,
    },
    now(),
  );
  if (!run) throw new Error('bench: could not create the statements run');
  const { advanceDagRun } = await import('../engine/execution/dag-run-evaluator.ts');
  let queued = (await store.atomically((tx) => advanceDagRun(tx, structure, run, now(), { queuedBy: 'bench' }))).queued;
  const start: PhaseCounts = { statements: 0, commits: 0 };
  const finish: PhaseCounts = { statements: 0, commits: 0 };
  const owner = { hostname: 'bench', workerId: 'bench' };
  let tasks = 0;
  const measure = async <T>(into: PhaseCounts, fn: () => Promise<T>): Promise<T> => {
    const before = { ...store.counts };
    const result = await fn();
    into.statements += store.counts.statements - before.statements;
    into.commits += store.counts.commits - before.commits;
    return result;
  };
  while (queued.length > 0) {
    const next = queued.shift()!;
    const ti = await measure(start, () => tryLifecycleOf(store).tryStarted(next, owner, now()));
    if (!ti) throw new Error(`bench: ${next.taskId} did not start`);
    const settled = settleTry(ti, { kind: 'success', value: tasks }, run.logicalDate);
    const finished = await measure(finish, () =>
      tryLifecycleOf(store).finishTry(
        ti,
        run,
        settled,
        { structure, queuedBy: 'bench', log: { chunk: 0, content: 'one log line\n' } },
        now(),
      ),
    );
    queued = [...queued, ...finished.queued];
    tasks++;
  }
  const per = (c: PhaseCounts): PhaseCounts => ({ statements: c.statements / tasks, commits: c.commits / tasks });
  return { start: per(start), finish: per(finish) };
}
