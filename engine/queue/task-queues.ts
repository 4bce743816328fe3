import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis, logQueueErrors, redisPrefix } from './redis-connection.ts';
import type { QueueConnectionOptions, SchedulerEvent, TaskJob } from './interfaces.ts';
import { keyOf, type TaskInstanceKey } from '../models/task-instance-key.ts';
import { taskJobId } from './job-id.ts';

/** BullMQ queue holding the tasks routed to Updraft queue `name`. */
export const taskQueueName = (name: string): string => `tasks-${name}`;
export const SCHEDULER_EVENTS_QUEUE = 'scheduler-events';
const EVENTS_MAX_LEN = 100_000;
/** BullMQ's keys of a queue that hold the ids of jobs not finished yet. */
const PENDING_LISTS = ['wait', 'paused', 'active'] as const;
const PENDING_SETS = ['prioritized', 'delayed', 'waiting-children'] as const;

const TASK_JOB_OPTIONS: JobsOptions = {
  // Kept a while so a duplicate enqueue of a finished try stays a no-op;
  // the store, not Redis, is the history.
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The job of the try after `ti`, due after `delayMs`. */
const nextTry = (ti: TaskInstanceKey & { queue: string }, delayMs: number) => ({
  ...keyOf(ti),
  tryNumber: ti.tryNumber + 1,
  queue: ti.queue,
  delayMs: Math.max(0, delayMs),
});

/** Producer side of Updraft's queues: tasks for workers, events for the scheduler. */
/** What {@link TaskQueues.handOff} needs of a recorded finish (execution's FinishedTry). */
export interface RecordedFinish {
  state: string;
  retryDelayMs: number | null;
  /** The downstream tries the finish queued. */
  queued: ReadonlyArray<TaskInstanceKey & { queue: string }>;
}

export class TaskQueues {
  readonly connection: Redis;
  readonly prefix: string;
  private readonly queues = new Map<string, Queue>();

  /**
   * @param deploymentId - the store's deployment id, carried by every task job
   *   and its id; only event-only users (the CLI waking the scheduler) omit it.
   */
  constructor(
    options: QueueConnectionOptions = {},
    private readonly deploymentId?: string,
  ) {
    this.connection = createRedis(options);
    this.prefix = redisPrefix(options);
  }

  private jobId(key: TaskInstanceKey): string {
    if (!this.deploymentId) throw new Error('TaskQueues: task jobs need the deployment id of the store');
    return taskJobId(key, this.deploymentId);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      // Task completions reach the scheduler through this stream: keep plenty of
      // history (reconciliation covers anything trimmed while it was away).
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
      logQueueErrors(queue, null, 'queue error', { queue: name });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Adds tries to their queues (idempotent by job id). */
  async enqueue(tries: ReadonlyArray<TaskInstanceKey & { queue: string; delayMs?: number }>): Promise<void> {
    const byQueue = new Map<string, (typeof tries)[number][]>();
    for (const t of tries) byQueue.get(t.queue)?.push(t) ?? byQueue.set(t.queue, [t]);
    for (const [queue, items] of byQueue) {
      const jobs = items.map((t) => ({
        name: `${t.dagId}.${t.taskId}`,
        data: { ...keyOf(t), deploymentId: this.deploymentId! } satisfies TaskJob,
        opts: { ...TASK_JOB_OPTIONS, jobId: this.jobId(t), delay: t.delayMs && t.delayMs > 0 ? t.delayMs : undefined },
      }));
      // The common hand-off is one try: a plain add skips addBulk's MULTI/EXEC wrapping.
      if (jobs.length === 1) await this.queue(taskQueueName(queue)).add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
      else await this.queue(taskQueueName(queue)).addBulk(jobs);
    }
  }

  /** Adds the try after `ti` as a delayed job, due when its retry delay has passed. */
  async enqueueRetry(ti: TaskInstanceKey & { queue: string }, delayMs: number): Promise<void> {
    await this.enqueue([nextTry(ti, delayMs)]);
  }

  /**
   * After a try's outcome committed: its downstream tries that the commit
   * queued, and its next try (a delayed job) when it is up for retry.
   */
  async handOff(ti: TaskInstanceKey & { queue: string }, finished: RecordedFinish): Promise<void> {
    const retry = finished.state === 'up_for_retry' ? [nextTry(ti, finished.retryDelayMs ?? 0)] : [];
    await this.enqueue([...finished.queued, ...retry]);
  }

  /** BullMQ's state of a try's job: waiting, active, delayed, completed, failed... or 'unknown' when absent. */
  async jobState(queue: string, key: TaskInstanceKey): Promise<string> {
    return this.queue(taskQueueName(queue)).getJobState(this.jobId(key));
  }

  /**
   * Where each try's job is: `missing`, `finished` (completed or failed: the
   * job hash has `finishedOn`), or `pending` (waiting, delayed, active...).
   * One MULTI reads the ids of every pending job (a handful of replies however
   * long the backlog: the reconciler asks this of every queued try, which can
   * be thousands); only a try not among them costs a look at its job hash.
   * Reads BullMQ's keys directly: `getJobState` costs a script call per job.
   */
  async jobPresence(queue: string, keys: readonly TaskInstanceKey[]): Promise<Array<'missing' | 'finished' | 'pending'>> {
    if (keys.length === 0) return [];
    const q = this.queue(taskQueueName(queue));
    const snapshot = this.connection.multi();
    for (const list of PENDING_LISTS) snapshot.lrange(q.toKey(list), 0, -1);
    for (const set of PENDING_SETS) snapshot.zrange(q.toKey(set), '0', '-1');
    const pending = new Set<string>();
    for (const [error, ids] of (await snapshot.exec()) ?? []) {
      if (error) throw error;
      for (const id of ids as string[]) pending.add(id);
    }
    const ids = keys.map((key) => this.jobId(key));
    const unseen = ids.flatMap((id, i) => (pending.has(id) ? [] : [i]));
    const look = this.connection.pipeline();
    for (const i of unseen) {
      const hash = q.toKey(ids[i]!);
      look.exists(hash);
      look.hget(hash, 'finishedOn');
    }
    const replies = unseen.length > 0 ? ((await look.exec()) ?? []) : [];
    const presence: Array<'missing' | 'finished' | 'pending'> = keys.map(() => 'pending');
    unseen.forEach((at, i) => {
      const [existsError, exists] = replies[2 * i] ?? [];
      const [finishedError, finishedOn] = replies[2 * i + 1] ?? [];
      if (existsError || finishedError) throw existsError ?? finishedError;
      // A job added after the snapshot exists without finishedOn: pending.
      presence[at] = exists !== 1 ? 'missing' : finishedOn ? 'finished' : 'pending';
    });
    return presence;
  }

  async removeJob(queue: string, key: TaskInstanceKey): Promise<void> {
    const job = await this.queue(taskQueueName(queue)).getJob(this.jobId(key));
    await job?.remove().catch(() => undefined);
  }

  /** Tells the scheduler something happened (a task finished, a run was triggered...). */
  async notifyScheduler(event: SchedulerEvent): Promise<void> {
    await this.queue(SCHEDULER_EVENTS_QUEUE).add(event.type, event, { removeOnComplete: true, removeOnFail: { count: 1000 } });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
