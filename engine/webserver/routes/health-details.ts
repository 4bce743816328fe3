import type { FastifyInstance } from 'fastify';
import { TaskInstanceState } from '../../models/states.ts';
import type { QueueConnectionOptions } from '../../queue/interfaces.ts';
import { isAlive, SCHEDULER_HEALTH_THRESHOLD_MS } from '../../store/small-repositories.ts';
import type { Store } from '../../store/store.ts';
import type { UpdraftMetrics } from '../metrics.ts';
import { redisHealth, storeHealth } from './monitoring.ts';

/** A worker counts as seen when it beat within this window. */
const WORKER_SEEN_MS = 60_000;

const ageSeconds = (iso: string, now: Date): number => Math.max(0, (now.getTime() - new Date(iso).getTime()) / 1000);

/** A worker's job id is `worker:<worker id>:<start ms>` (workers/task-worker.ts); tries record the worker id. */
const workerIdOf = (jobId: string): string => jobId.slice(jobId.indexOf(':') + 1, jobId.lastIndexOf(':'));

/**
 * The health page's data: what `/api/v1/health` says plus what a person needs
 * to act on it — heartbeat ages, the workers seen in the last minute with the
 * tries they run, and BullMQ queue depths. Liveness is wall-clock time (as the
 * heartbeats are), not the injectable clock.
 */
export function healthDetailsRoutes(
  app: FastifyInstance,
  store: Store,
  metrics: UpdraftMetrics,
  queueOptions: QueueConnectionOptions,
): void {
  app.get('/api/v1/health/details', async () => {
    const now = new Date();
    const [database, redis] = await Promise.all([storeHealth(store), redisHealth(queueOptions)]);
    const metadatabase = { ...database, dialect: store.dialect };
    if (database.status === 'unhealthy')
      return { now: now.toISOString(), metadatabase, redis, scheduler: null, workers: [], queue_depths: {} };

    const scheduler = await store.schedulerJobs.latest();
    const jobs = await store.db
      .selectFrom('scheduler_job')
      .selectAll()
      .where('job_type', '=', 'WorkerJob')
      .where('latest_heartbeat', '>=', new Date(now.getTime() - WORKER_SEEN_MS).toISOString())
      .orderBy('hostname')
      .execute();
    const running = await store.tasks.latestInStates([TaskInstanceState.RUNNING]);
    const workers = jobs.map((job) => {
      const workerId = workerIdOf(job.id);
      const tries = running.filter((ti) => ti.workerId === workerId);
      return {
        worker_id: workerId,
        hostname: job.hostname,
        started_at: job.started_at,
        latest_heartbeat: job.latest_heartbeat,
        heartbeat_age_s: ageSeconds(job.latest_heartbeat, now),
        queues: [...new Set([...(job.queues?.split(',') ?? []), ...tries.map((ti) => ti.queue)])].sort(),
        running: tries.map((ti) => ({
          dag_id: ti.dagId,
          run_id: ti.runId,
          task_id: ti.taskId,
          try_number: ti.tryNumber,
          queue: ti.queue,
          start_date: ti.startDate,
        })),
      };
    });
    const depths = redis.status === 'healthy' ? Object.fromEntries(await metrics.queueDepths()) : {};
    return {
      now: now.toISOString(),
      metadatabase,
      redis,
      scheduler: scheduler && {
        status: isAlive(scheduler, now) ? 'healthy' : 'unhealthy',
        hostname: scheduler.hostname,
        started_at: scheduler.startedAt,
        latest_heartbeat: scheduler.latestHeartbeat,
        heartbeat_age_s: ageSeconds(scheduler.latestHeartbeat, now),
        healthy_within_s: SCHEDULER_HEALTH_THRESHOLD_MS / 1000,
        last_loop_ms: scheduler.lastLoopMs,
      },
      workers,
      queue_depths: depths,
    };
  });
}
