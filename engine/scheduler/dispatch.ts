import { TaskInstanceState } from '../models/states.ts';
import type { TaskQueues } from '../queue/task-queues.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { chunks } from '../utils/chunks.ts';

/** Tries handed over per BullMQ bulk add: workers start on the first slice while later ones are still being added. */
const SLICE = 500;

/**
 * Hands scheduled tries to BullMQ, then marks them queued. Enqueue first: if
 * this process dies in between, the try is still `scheduled` and the next
 * reconciliation enqueues it again under the same job id, which is a no-op.
 */
export async function dispatch(store: Store, queues: TaskQueues, tries: readonly TaskInstance[], now: Date): Promise<void> {
  for (const slice of chunks(tries, SLICE)) await dispatchSlice(store, queues, slice, now);
}

async function dispatchSlice(store: Store, queues: TaskQueues, tries: readonly TaskInstance[], now: Date): Promise<void> {
  await queues.enqueue(tries.map((ti) => ({ dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, tryNumber: ti.tryNumber, queue: ti.queue })));
  const at = now.toISOString();
  await store.write(async (tx) => {
    for (const ti of tries) {
      await tx.updateTable('task_instance')
        .set({ state: TaskInstanceState.QUEUED, queued_at: at, updated_at: at })
        .where('dag_id', '=', ti.dagId).where('run_id', '=', ti.runId).where('task_id', '=', ti.taskId).where('try_number', '=', ti.tryNumber)
        .where('state', '=', TaskInstanceState.SCHEDULED)
        .execute();
    }
  });
}
