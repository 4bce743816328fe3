import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './cli.ts';

export interface UpdraftProcess {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

let counter = 0;

/** Starts `updraft <args>` as a real child process; its output goes to a log file in `logDir`. */
export function startUpdraft(args: string[], env: Record<string, string>, logDir: string): UpdraftProcess {
  return spawnUpdraft([], args, env, join(logDir, `${args[0] ?? 'updraft'}-${++counter}.log`));
}

/**
 * Runs `<prefix...> node bin/updraft.mjs <args>` (the prefix may enter a network namespace:
 * `ip netns exec` execs node in place, so the pid is node's and a SIGKILL reaches it).
 */
export function spawnUpdraft(prefix: string[], args: string[], env: Record<string, string>, logFile: string, cwd?: string): UpdraftProcess {
  const fd = openSync(logFile, 'a');
  const [command, ...rest] = [...prefix, process.execPath, BIN, ...args];
  const child = spawn(command!, rest, {
    cwd,
    env: { ...process.env, UPDRAFT_LOG_FORMAT: 'json', UPDRAFT_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', fd, fd],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    logFile,
    exited,
    /** Sends `signal`; a process still alive 20 s later is killed, and stop() then resolves null. */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Polls `check` until it returns a value (not undefined/false) or the deadline
 * passes; the deadline only stops a broken test from hanging, nothing asserts on time.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, deadlineMs = 90_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
