import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, tempDir } from './cli.ts';
import { spawnUpdraft, type UpdraftProcess } from './processes.ts';

/**
 * Separate hosts on one machine: a network namespace each, joined by veth
 * pairs to a bridge in the root namespace. Services the test starts listen on
 * the bridge address (`gateway`), as on a real network. Each host has a folder
 * of its own (its UPDRAFT_HOME, its copy of the DAG files, its inputs), and its
 * processes run in a mount namespace where every other host's folder is an
 * empty tmpfs: a path that leaks from one host to another fails as it would
 * between machines.
 */
export interface TestHosts {
  /** The root namespace's address on the bridge: services listen here. */
  gateway: string;
  names: string[];
  /** The host's own folder, invisible to the other hosts' processes. */
  dir(host: string): string;
  /** Starts `updraft <args>` on a host, its output in a log file. */
  start(host: string, args: string[], env: Record<string, string>, logDir: string): UpdraftProcess;
  /** Runs `updraft <args>` on a host to completion. */
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
  const root = tempDir('updraft-hosts-');
  const dirs = new Map(names.map((name) => [name, join(root, name)]));
  for (const dir of dirs.values()) mkdirSync(dir);
  const processes: UpdraftProcess[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    for (const name of names) spawnSync('ip', ['netns', 'del', name]);
    spawnSync('ip', ['link', 'del', bridge]);
    rmSync(join(OWNERS, id), { force: true });
    rmSync(root, { recursive: true, force: true });
  };
  /** Enters the host's network namespace, then a mount namespace of its own where the other hosts' folders are empty; every step execs, so the pid is node's. */
  const onHost = (host: string): string[] => {
    const others = names.filter((n) => n !== host).map((n) => dirs.get(n)!);
    const hide = 'while [ "$1" != -- ]; do mount -t tmpfs -o size=64k,mode=0755 none "$1" || exit 97; shift; done; shift; exec "$@"';
    return ['ip', 'netns', 'exec', host, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', hide, 'sh', ...others, '--'];
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
    dir: (host) => dirs.get(host)!,
    start(host, args, env, logDir) {
      const p = spawnUpdraft(onHost(host), args, env, join(logDir, `${host}-${args[0] ?? 'updraft'}-${++counter}.log`), dirs.get(host));
      processes.push(p);
      return p;
    },
    run(host, args, env) {
      return new Promise((resolve, reject) => {
        const [command, ...rest] = [...onHost(host), process.execPath, BIN, ...args];
        const child = spawn(command!, rest, { cwd: dirs.get(host), env: { ...process.env, UPDRAFT_LOG_FORMAT: 'json', ...env } });
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
