import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './cli.ts';
import { spawnUpdraft, type UpdraftProcess } from './processes.ts';
import { tcpRelay, type TcpRelay } from './relay.ts';

/**
 * Separate hosts on one machine: a network namespace each, joined by veth
 * pairs to a bridge in the root namespace. A host sees only what is published
 * on the bridge address (Redis, PostgreSQL), as on a real network; each gets
 * its own UPDRAFT_HOME and DAG folder copy from the test.
 */
export interface TestHosts {
  /** The root namespace's address on the bridge: services are published here. */
  gateway: string;
  names: string[];
  /** Publishes a TCP service of the root namespace (e.g. 127.0.0.1:5432) on the bridge; returns the address hosts use. */
  publish(target: { host: string; port: number }): Promise<string>;
  /** Starts `updraft <args>` on a host, its output in a log file. */
  start(host: string, args: string[], env: Record<string, string>, logDir: string): UpdraftProcess;
  /** Runs `updraft <args>` on a host to completion (asynchronously: the relays live in this process). */
  run(host: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

/** Why separate hosts cannot be made here, or null when they can (root and `ip netns`). */
export function hostsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return '`ip netns` does not work here';
  return null;
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });

// Which process made each set of hosts: two test runs on one machine (two checkouts) must not tear down each other's.
const OWNERS = join(tmpdir(), 'updraft-test-hosts');

function ownerAlive(id: string): boolean {
  try {
    process.kill(Number(readFileSync(join(OWNERS, id), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces and bridges a killed test run left behind (their processes are gone with the run). */
function removeLeftovers(): void {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const m of netns.matchAll(/^uh([0-9a-f]{4})\d+/gm)) if (!ownerAlive(m[1]!)) spawnSync('ip', ['netns', 'del', m[0]]);
  const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout ?? '';
  for (const m of links.matchAll(/^\d+: ubr([0-9a-f]{4})[:@]/gm)) if (!ownerAlive(m[1]!)) spawnSync('ip', ['link', 'del', `ubr${m[1]}`]);
}

export async function createHosts(count: number): Promise<TestHosts> {
  removeLeftovers();
  const id = randomBytes(2).toString('hex');
  const subnet = `10.${200 + (parseInt(id, 16) % 50)}.${parseInt(id.slice(0, 2), 16)}`;
  const gateway = `${subnet}.1`;
  const bridge = `ubr${id}`;
  const names = Array.from({ length: count }, (_, i) => `uh${id}${i}`);
  mkdirSync(OWNERS, { recursive: true });
  writeFileSync(join(OWNERS, id), String(process.pid));
  const relays: TcpRelay[] = [];
  const processes: UpdraftProcess[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await Promise.all(relays.map((r) => r.cut()));
    for (const name of names) spawnSync('ip', ['netns', 'del', name]);
    spawnSync('ip', ['link', 'del', bridge]);
    rmSync(join(OWNERS, id), { force: true });
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    names.forEach((name, i) => {
      const outside = `uv${id}${i}a`;
      const inside = `uv${id}${i}b`;
      ip('netns', 'add', name);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', outside, 'master', bridge);
      ip('link', 'set', outside, 'up');
      ip('link', 'set', inside, 'netns', name);
      ip('netns', 'exec', name, 'ip', 'addr', 'add', `${subnet}.${10 + i}/24`, 'dev', inside);
      ip('netns', 'exec', name, 'ip', 'link', 'set', inside, 'up');
      ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  let counter = 0;
  return {
    gateway,
    names,
    async publish(target) {
      // A TCP relay on the bridge address to a service that listens on loopback only (the machine's PostgreSQL).
      const relay = await tcpRelay(target, gateway);
      relays.push(relay);
      return relay.address;
    },
    start(host, args, env, logDir) {
      const p = spawnUpdraft(['ip', 'netns', 'exec', host], args, env, join(logDir, `${host}-${args[0] ?? 'updraft'}-${++counter}.log`));
      processes.push(p);
      return p;
    },
    run(host, args, env) {
      return new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', host, process.execPath, BIN, ...args], { env: { ...process.env, UPDRAFT_LOG_FORMAT: 'json', ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    },
    cleanup,
  };
}
