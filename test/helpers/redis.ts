import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** A fresh key prefix, so tests sharing a server never see each other's queues. */
  prefix: string;
  client(): Redis;
  stop(): Promise<void>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/**
 * A private redis-server on a free port when the binary exists (never the
 * data on 6379), else `$REDIS_URL` with a random prefix.
 */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const prefix = `test${randomBytes(4).toString('hex')}`;
  const hasBinary = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
  let server: ChildProcess | null = null;
  let url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (hasBinary) {
    const port = await freePort();
    const auth = options.password ? ['--requirepass', options.password] : [];
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...auth], { stdio: 'ignore' });
    url = `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`;
  }
  const clients: Redis[] = [];
  const client = (): Redis => {
    const c = new Redis(url, { maxRetriesPerRequest: 3 });
    clients.push(c);
    return c;
  };
  for (let i = 0; ; i++) {
    try {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    prefix,
    client,
    async stop() {
      for (const c of clients) c.disconnect();
      server?.kill('SIGKILL');
    },
  };
}
