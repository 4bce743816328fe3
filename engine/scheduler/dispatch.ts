import type { TaskQueues } from '../queue/task-queues.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { chunks } from '../utils/chunks.ts';

/** Tries handed over per BullMQ bulk add: workers start on the first slice while later ones are still being added. */
const SLICE = 500;

/**
 * Hands tries a committed pass moved to `queued` to BullMQ, a slice at a time
 * (idempotent: job ids are per try). If this process dies before, the tries
 * are queued without a job, which is what the reconciler looks for.
 */
export async function enqueueTries(queues: TaskQueues, tries: readonly TaskInstance[]): Promise<void> {
  for (const slice of chunks(tries, SLICE)) await queues.enqueue(slice);
}
