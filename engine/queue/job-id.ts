import { createHash } from 'node:crypto';
import type { TaskInstanceKey } from '../models/task-instance-key.ts';

/**
 * The BullMQ job id of one task-instance try: the same try always gets the
 * same id, so enqueueing it twice is a no-op. It starts with the deployment
 * id (ADR 11, docs/adr/0011-a-deployment-has-an-identity.md), so a new store never collides with jobs an earlier store
 * left in the same Redis. BullMQ ids must not contain `:` nor be all digits;
 * run ids contain `:` (ISO dates), so the run id enters as a hash, and the
 * readable parts (DAG and task ids cannot contain `:`) stay.
 */
export function taskJobId(k: TaskInstanceKey, deploymentId: string): string {
  const run = createHash('sha1').update(k.runId).digest('hex').slice(0, 16);
  return `ti.${deploymentId.slice(0, 12)}.${k.dagId}.${k.taskId}.${run}.try${k.tryNumber}`;
}
