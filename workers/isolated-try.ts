import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { TryOutcome } from '../engine/execution/task-runner.ts';
import type { TaskInstanceKey } from '../engine/models/task-instance-key.ts';

const REPO = join(import.meta.dirname, '..');
const CHILD_MAIN = join(REPO, 'workers', 'isolated-try-main.ts');
const REGISTER = join(REPO, 'engine', 'runtime', 'register.mjs');
/** A blocked child cannot enforce its own executionTimeout: the parent kills it this long after. */
const KILL_GRACE_MS = 2_000;
/** After asking the child to hand its try back, wait this long before killing it. */
const ABORT_WAIT_MS = 5_000;

export interface IsolatedTryRequest {
  key: TaskInstanceKey;
  fileloc: string;
  /** The parent worker's `queued_by`: the child's outcome transaction queues the downstream in its name. */
  queuedBy: string;
}

/** What the child reports: the recorded outcome (the parent enqueues what it queued), or why it could not run the try. */
export type IsolatedTryReply = { outcome: TryOutcome } | { failure: string };

/**
 * Runs one already-started try in a child process (`isolation: 'process'`).
 * The worker's own event loop stays free for BullMQ lock renewal and store
 * heartbeats however long the task blocks the child's. Resolves with the
 * child's reply, or a failure when it died, hung past `timeoutMs`, or would
 * not stop when `signal` (worker shutdown) asked it to.
 */
export function runIsolatedTry(request: IsolatedTryRequest, timeoutMs: number | null, signal: AbortSignal): Promise<IsolatedTryReply> {
  const child = fork(CHILD_MAIN, [], { execArgv: ['--import', REGISTER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const settle = (result: IsolatedTryReply): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const kill = (failure: string) => (): void => {
      child.kill('SIGKILL');
      settle({ failure });
    };
    const onAbort = (): void => {
      if (child.connected) child.send('abort');
      timers.push(setTimeout(kill('worker shutting down: the task process did not stop and was killed'), ABORT_WAIT_MS));
    };
    child.on('message', (message: IsolatedTryReply) => settle(message));
    child.on('error', (error) => settle({ failure: `could not start the task process: ${error.message}` }));
    child.on('exit', (code, signalName) => settle({ failure: `the task process exited (${signalName ?? `code ${code}`}) before recording an outcome` }));
    if (timeoutMs !== null) timers.push(setTimeout(kill(`TaskTimeoutError: execution timed out after ${timeoutMs / 1000}s (task process killed)`), timeoutMs + KILL_GRACE_MS));
    signal.addEventListener('abort', onAbort, { once: true });
    child.send(request);
  });
}
