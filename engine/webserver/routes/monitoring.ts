import type { FastifyInstance } from 'fastify';
import { redisAnswers } from '../../queue/redis-connection.ts';
import type { QueueConnectionOptions } from '../../queue/interfaces.ts';
import { isAlive } from '../../store/small-repositories.ts';
import type { Store } from '../../store/store.ts';
import type { UpdraftMetrics } from '../metrics.ts';

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
    const fresh = job !== undefined && isAlive(job);
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
