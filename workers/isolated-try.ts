import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { TryOutcome } from '../engine/execution/task-runner.ts';
import type { TaskInstanceKey } from '../engine/models/task-instance-key.ts';
import { TryTerminatedError } from '../engine/models/errors.ts';

const REPO = join(import.meta.dirname, '..');
const CHILD_MAIN = join(REPO, 'workers', 'isolated-try-main.ts');
const REGISTER = join(REPO, 'engine', 'runtime', 'register.mjs');
/** A blocked child cannot enforce its own executionTimeout: the parent kills it this long after. */
const KILL_GRACE_MS = 2_000;
/** After asking the child to hand its try back, wait this long before killing it. */
const ABORT_WAIT_MS = 5_000;
/** After telling the child its try was changed from outside: its runner's own grace (5 s), and a little more. */
const TERMINATE_WAIT_MS = 7_000;

export interface IsolatedTryRequest {
  key: TaskInstanceKey;
  fileloc: string;
  /** The parent worker's `queued_by`: the child's outcome transaction queues the downstream in its name. */
  queuedBy: string;
}

/** What the child reports: the recorded outcome (the parent enqueues what it queued), or why it could not run the try. */
export type IsolatedTryReply = { outcome: TryOutcome } | { failure: string };

/** What the parent tells the child: stop (worker shutdown), or the try was changed from outside (the new state, null: deleted). */
export type IsolatedTryCommand = 'abort' | { terminate: string | null };

/**
 * Runs one already-started try in a child process (`isolation: 'process'`).
 * The worker's own event loop stays free for BullMQ lock renewal and store
 * heartbeats however long the task blocks the child's. Resolves with the
 * child's reply, or a failure when it died, hung past `timeoutMs`, or would
 * not stop when `signal` (worker shutdown) or `terminate` (the try was
 * changed from outside) asked it to.
 */
export function runIsolatedTry(
  request: IsolatedTryRequest,
  timeoutMs: number | null,
  signal: AbortSignal,
  terminate?: AbortSignal,
): Promise<IsolatedTryReply> {
  const child = fork(CHILD_MAIN, [], { execArgv: ['--import', REGISTER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const settle = (result: IsolatedTryReply): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      signal.removeEventListener('abort', onAbort);
      terminate?.removeEventListener('abort', onTerminate);
      resolve(result);
    };
    const kill = (failure: string) => (): void => {
      child.kill('SIGKILL');
      settle({ failure });
    };
    const tell = (command: IsolatedTryCommand): void => {
      if (child.connected) child.send(command);
    };
    const onAbort = (): void => {
      tell('abort');
      timers.push(setTimeout(kill('worker shutting down: the task process did not stop and was killed'), ABORT_WAIT_MS));
    };
    // The child stops its task (ctx.signal, a bash process group) and logs why; one that does not is killed.
    const onTerminate = (): void => {
      const reason: unknown = terminate?.reason;
      tell({ terminate: reason instanceof TryTerminatedError ? reason.newState : null });
      timers.push(setTimeout(kill('the try was changed from outside and its task process did not stop: killed'), TERMINATE_WAIT_MS));
    };
    child.on('message', (message: IsolatedTryReply) => settle(message));
    child.on('error', (error) => settle({ failure: `could not start the task process: ${error.message}` }));
    child.on('exit', (code, signalName) =>
      settle({ failure: `the task process exited (${signalName ?? `code ${code}`}) before recording an outcome` }),
    );
    if (timeoutMs !== null)
      timers.push(
        setTimeout(
          kill(`TaskTimeoutError: execution timed out after ${timeoutMs / 1000}s (task process killed)`),
          timeoutMs + KILL_GRACE_MS,
        ),
      );
    signal.addEventListener('abort', onAbort, { once: true });
    if (terminate?.aborted) onTerminate();
    else terminate?.addEventListener('abort', onTerminate, { once: true });
    child.send(request);
  });
}
