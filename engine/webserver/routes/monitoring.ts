import type { FastifyInstance } from 'fastify';
import { oneLineReason } from '../../logging/redact.ts';
import { probeRedis } from '../../queue/redis-connection.ts';
import type { QueueConnectionOptions } from '../../queue/interfaces.ts';
import { isAlive } from '../../store/small-repositories.ts';
import type { Store } from '../../store/store.ts';
import type { UpdraftMetrics } from '../metrics.ts';

export function monitoringRoutes(app: FastifyInstance, store: Store, metrics: UpdraftMetrics, queueOptions: QueueConnectionOptions): void {
  /** Airflow's `/health`: the metadatabase, the scheduler's latest heartbeat, and (ours) Redis; an unhealthy one says why (one redacted line). */
  app.get('/api/v1/health', async () => {
    const [metadatabase, redis] = await Promise.all([storeHealth(store), redisHealth(queueOptions)]);
    const job = metadatabase.status === 'healthy' ? await store.schedulerJobs.latest() : undefined;
    const fresh = job !== undefined && isAlive(job);
    return {
      metadatabase,
      scheduler: { status: fresh ? 'healthy' : 'unhealthy', latest_scheduler_heartbeat: job?.latestHeartbeat ?? null },
      redis,
    };
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}

export type Health = { status: 'healthy' } | { status: 'unhealthy'; reason: string };

/** Whether the store answers a read, and if not why (no secret in it). */
export async function storeHealth(store: Store): Promise<Health> {
  try {
    await store.dags.flags();
    return { status: 'healthy' };
  } catch (error) {
    return { status: 'unhealthy', reason: oneLineReason(error) };
  }
}

/** Whether Redis answers and takes the password, and if not why (no secret in it). */
export async function redisHealth(queueOptions: QueueConnectionOptions): Promise<Health> {
  const probe = await probeRedis(queueOptions, 500);
  return probe.ok ? { status: 'healthy' } : { status: 'unhealthy', reason: probe.message };
}
