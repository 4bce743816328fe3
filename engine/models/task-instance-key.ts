/**
 * One try of one task in one run: the primary key of a task-instance row and,
 * unchanged, the payload of its BullMQ job (the job id is derived from it).
 */
export interface TaskInstanceKey {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
}

/** The key as one string, for maps and sets of tries. */
export const keyString = (k: TaskInstanceKey): string => `${k.dagId}\u0000${k.runId}\u0000${k.taskId}\u0000${k.tryNumber}`;

/** The key a {@link keyString} was made of. */
export function keyFromString(key: string): TaskInstanceKey {
  const [dagId, runId, taskId, tryNumber] = key.split('\u0000') as [string, string, string, string];
  return { dagId, runId, taskId, tryNumber: Number(tryNumber) };
}

/** A run's key as one string, for maps and sets of runs (split on `\u0000` to get the ids back). */
export const runKeyString = (dagId: string, runId: string): string => `${dagId}\u0000${runId}`;

/** The dag id and run id a {@link runKeyString} was made of. */
export const runKeyParts = (key: string): [dagId: string, runId: string] => key.split('\u0000') as [string, string];

/** The key alone, without the extra fields a TaskInstance row carries (what goes into a job). */
export const keyOf = (k: TaskInstanceKey): TaskInstanceKey => ({
  dagId: k.dagId,
  runId: k.runId,
  taskId: k.taskId,
  tryNumber: k.tryNumber,
});
