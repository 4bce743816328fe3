import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { assertServicesAllowed } from './tier.ts';

export interface TestRedis {
  url: string;
  /** With `tls`: the CA that signed the server's certificate (give it to processes as NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** A fresh key prefix, so tests sharing a server never see each other's queues. */
  prefix: string;
  /** The private server's pid (the bench reads its CPU time); undefined when the tests use an outside Redis. */
  pid?: number;
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
/** A CA and a server certificate for 127.0.0.1, made with openssl in a fresh folder. */
function makeTlsFiles(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-tls-'));
  const f = (name: string): string => join(dir, name);
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=updraft-test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
    '-out',
    f('server.crt'),
  ]);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

/** `bind`: addresses to listen on besides 127.0.0.1 (the separate-hosts test's bridge). */
export async function startRedis(options: { password?: string; tls?: boolean; bind?: string[] } = {}): Promise<TestRedis> {
  assertServicesAllowed('Redis');
  const prefix = `test${randomBytes(4).toString('hex')}`;
  const hasBinary = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
  let server: ChildProcess | null = null;
  let url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let caFile: string | undefined;
  if (hasBinary) {
    const port = await freePort();
    const auth = options.password ? ['--requirepass', options.password] : [];
    const tls = options.tls ? makeTlsFiles() : null;
    const listen = tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          tls.cert,
          '--tls-key-file',
          tls.key,
          '--tls-ca-cert-file',
          tls.ca,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)];
    server = spawn(
      'redis-server',
      [
        ...listen,
        '--bind',
        '127.0.0.1',
        ...(options.bind ?? []),
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        ...auth,
      ],
      { stdio: 'ignore' },
    );
    url = `${tls ? 'rediss' : 'redis'}://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`;
    caFile = tls?.ca;
  }
  // This process trusts the test CA explicitly; child processes get it through NODE_EXTRA_CA_CERTS.
  const tlsOptions = () => (caFile ? { tls: { ca: readFileSync(caFile) } } : {});
  const clients: Redis[] = [];
  const client = (): Redis => {
    const c = new Redis(url, { maxRetriesPerRequest: 3, ...tlsOptions() });
    clients.push(c);
    return c;
  };
  for (let i = 0; ; i++) {
    try {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...tlsOptions() });
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
    caFile,
    prefix,
    pid: server?.pid,
    client,
    async stop() {
      for (const c of clients) c.disconnect();
      server?.kill('SIGKILL');
    },
  };
}
