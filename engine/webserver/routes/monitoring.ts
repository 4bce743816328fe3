import type { FastifyInstance } from 'fastify';
import { redisAnswers } from '../../queue/redis-connection.ts';
import type { QueueConnectionOptions } from '../../queue/interfaces.ts';
import type { Store } from '../../store/store.ts';
import type { UpdraftMetrics } from '../metrics.ts';

/** A scheduler whose heartbeat is older than this is reported unhealthy (Airflow's default is 30 s). */
const SCHEDULER_HEALTH_THRESHOLD_MS = 30_000;

export function monitoringRoutes(app: FastifyInstance, store: Store, metrics: UpdraftMetrics, queueOptions: QueueConnectionOptions): void {
  /** Airflow's `/health`: the metadatabase, the scheduler's latest heartbeat, and (ours) Redis. */
  app.get('/api/v1/health', async () => {
    let database = 'healthy';
    try {
      await store.dags.flags();
    } catch {
      database = 'unhealthy';
    }
    const job = database === 'healthy' ? await store.schedulerJobs.latest() : undefined;
    const fresh = job !== undefined && Date.now() - new Date(job.latestHeartbeat).getTime() <= SCHEDULER_HEALTH_THRESHOLD_MS;
    return {
      metadatabase: { status: database },
      scheduler: { status: fresh ? 'healthy' : 'unhealthy', latest_scheduler_heartbeat: job?.latestHeartbeat ?? null },
      redis: { status: (await redisAnswers(queueOptions, 500)) ? 'healthy' : 'unhealthy' },
    };
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}
