import { Redis } from 'ioredis';
import type { QueueConnectionOptions } from './interfaces.ts';

export const redisUrl = (o: QueueConnectionOptions = {}): string => o.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const redisPrefix = (o: QueueConnectionOptions = {}): string => o.prefix ?? process.env.UPDRAFT_REDIS_PREFIX ?? 'updraft';

/** A connection BullMQ can block on: `maxRetriesPerRequest: null` is required for Workers. */
export function createRedis(o: QueueConnectionOptions = {}): Redis {
  return new Redis(redisUrl(o), { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** True when a Redis server answers PING at the URL within `timeoutMs`. */
export async function redisAnswers(o: QueueConnectionOptions = {}, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(redisUrl(o), { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
