import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.ts';

const BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) =>
  existsSync(join(d, 'initdb')),
);

/** A PostgreSQL cluster of the test's own, in a temp dir: the separate-hosts test's "database host". */
export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@<host>:<port>/postgres` */
  url(host?: string): string;
  stop(): Promise<void>;
}

/** Why a private cluster cannot be made here, or null (needs PostgreSQL's server binaries and root, to run them as `postgres`). */
export function privatePostgresUnavailable(): string | null {
  if (!BIN) return 'no initdb under /usr/lib/postgresql/*/bin';
  if (process.getuid?.() !== 0) return 'a private cluster is run as user postgres, which needs root';
  if (spawnSync('id', ['postgres']).status !== 0) return 'no user postgres';
  return null;
}

const PREFIX = 'updraft-pg-';
/** The test process that started a cluster, written in its folder. */
const OWNER = 'owner.pid';

/** Stops a cluster at once (if it runs) and removes its folder. */
function stopCluster(dir: string): void {
  const data = join(dir, 'data');
  if (existsSync(join(data, 'postmaster.pid')))
    spawnSync('runuser', ['-u', 'postgres', '--', join(BIN!, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}

/** Clusters a killed test run left running (its after-hooks never ran). */
function removeLeftovers(): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(PREFIX))) {
    const dir = join(tmpdir(), name);
    const owner = Number(existsSync(join(dir, OWNER)) ? readFileSync(join(dir, OWNER), 'utf8').trim() : NaN);
    // No owner file: being created right now, unless it is old (a run killed in between).
    if (!Number.isInteger(owner)) {
      if (Date.now() - statSync(dir).mtimeMs > 10 * 60_000) stopCluster(dir);
      continue;
    }
    try {
      process.kill(owner, 0);
    } catch {
      stopCluster(dir);
    }
  }
}

/**
 * initdb + pg_ctl in a fresh folder, listening on 127.0.0.1 and on `listen`
 * (trust auth, as the machine's own server; fsync off: a test's data need not
 * survive a power cut). `stop()` shuts it down at once and removes the folder.
 */
export async function startPrivatePostgres(listen: string[] = []): Promise<PrivatePostgres> {
  const why = privatePostgresUnavailable();
  if (why) throw new Error(`cannot start a private PostgreSQL: ${why}`);
  removeLeftovers();
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, OWNER), String(process.pid));
  const data = join(dir, 'data');
  const pgUser = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const pgGroup = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  chownSync(dir, Number(pgUser), Number(pgGroup));
  const asPostgres = (bin: string, args: string[]): void => {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', join(BIN!, bin), ...args], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${bin} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  };
  const port = await freePort();
  const stop = async (): Promise<void> => stopCluster(dir);
  try {
    asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    // The hosts on each listening address's /24 (the test's bridge): trusted as the machine's server trusts 127.0.0.1.
    appendFileSync(
      join(data, 'pg_hba.conf'),
      listen.map((address) => `host all all ${address.split('.').slice(0, 3).join('.')}.0/24 trust\n`).join(''),
    );
    const options = `-p ${port} -k ${dir} -c listen_addresses='${['127.0.0.1', ...listen].join(',')}' -c fsync=off -c max_connections=200`;
    asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: (host = '127.0.0.1') => `postgres://postgres@${host}:${port}/postgres`, stop };
}
