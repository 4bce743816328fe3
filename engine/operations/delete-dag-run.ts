import { TaskInstanceState } from '../models/states.ts';
import { redisAnswers } from '../queue/redis-connection.ts';
import { TaskQueues } from '../queue/task-queues.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import { purgeXComArtifacts, xcomPrefix } from '../execution/xcom-artifacts.ts';
import { notifyScheduler } from './dag-commands.ts';

/**
 * Airflow's DELETE dagRun: the run goes with its tries, logs and XComs (one
 * transaction). Its jobs still in Redis are removed, so that a run created
 * again under the same id is not taken for a finished one; a job a worker
 * holds cannot be removed, but that worker finds the try gone at its next
 * heartbeat and terminates it, and a job delivered later finds no try and is
 * dropped. Its XComs offloaded to the artifact store go after the rows (every
 * artifact under the run's prefix, so one a crashed try left behind goes too).
 * Returns how many tries were deleted.
 */
export async function deleteDagRun(store: Store, run: DagRun): Promise<number> {
  const tries = await store.tasks.allTries(run.dagId, run.runId);
  await store.runs.delete(run.dagId, run.runId);
  await purgeXComArtifacts(store, xcomPrefix(run.dagId, run.runId));
  if (await redisAnswers({}, 300)) {
    const queues = new TaskQueues({}, store.deploymentId);
    try {
      for (const ti of tries) {
        await queues.removeJob(ti.queue, ti);
        if (ti.state === TaskInstanceState.UP_FOR_RETRY) await queues.removeJob(ti.queue, { ...ti, tryNumber: ti.tryNumber + 1 });
      }
    } finally {
      await queues.close();
    }
  }
  // A slot under max_active_runs may have freed up.
  await notifyScheduler({ type: 'dag-changed', dagId: run.dagId });
  return tries.length;
}
