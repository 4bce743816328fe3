import { TaskInstanceState } from '../models/states.ts';
import type { TaskQueues } from '../queue/task-queues.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { chunks } from '../utils/chunks.ts';

/** Tries handed over per BullMQ bulk add: workers start on the first slice while later ones are still being added. */
const SLICE = 500;

/**
 * Marks scheduled tries `queued` (compare-and-set) and returns those it moved.
 * Called inside the transaction that scheduled them, so a pass costs one
 * commit; BullMQ gets them after that commit ({@link enqueueTries}). If this
 * process dies in between, the tries are queued without a job, which is what
 * the reconciler looks for: it enqueues them under the same job ids.
 */
export async function markQueued(store: Store, tries: readonly TaskInstance[], now: Date): Promise<TaskInstance[]> {
  const at = now.toISOString();
  const moved: TaskInstance[] = [];
  for (const ti of tries) {
    if (await store.tasks.transition(ti, [TaskInstanceState.SCHEDULED], TaskInstanceState.QUEUED, { queued_at: at }, now)) {
      moved.push({ ...ti, state: TaskInstanceState.QUEUED, queuedAt: at });
    }
  }
  return moved;
}

/** Hands queued tries to BullMQ, a slice at a time (idempotent: job ids are per try). */
export async function enqueueTries(queues: TaskQueues, tries: readonly TaskInstance[]): Promise<void> {
  for (const slice of chunks(tries, SLICE)) {
    await queues.enqueue(slice.map((ti) => ({ dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, tryNumber: ti.tryNumber, queue: ti.queue })));
  }
}

/** Both steps for tries found scheduled outside a run pass (reconciliation). */
export async function dispatch(store: Store, queues: TaskQueues, tries: readonly TaskInstance[], now: Date): Promise<void> {
  if (tries.length === 0) return;
  await enqueueTries(queues, await store.atomically((tx) => markQueued(tx, tries, now)));
}
