// A worker's child process for a task with `isolation: 'process'`: runs one try
// through the one task runner (which records its state, log and XCom in the
// store, with the downstream hand-off) and reports the outcome to its parent
// over IPC; the parent enqueues what it queued.
import { DagModuleCache } from '../engine/dag-processing/dag-module-cache.ts';
import { runTaskTry } from '../engine/execution/task-runner.ts';
import { TaskInstanceState } from '../engine/models/states.ts';
import { Store } from '../engine/store/store.ts';
import { clockFromEnv } from '../engine/utils/clock.ts';
import { TryTerminatedError } from '../engine/models/errors.ts';
import type { IsolatedTryCommand, IsolatedTryReply, IsolatedTryRequest } from './isolated-try.ts';

const reply = (message: IsolatedTryReply): Promise<void> => new Promise((resolve) => process.send!(message, () => resolve()));

process.once('message', async ({ key, fileloc, queuedBy }: IsolatedTryRequest) => {
  const controller = new AbortController();
  const terminate = new AbortController();
  process.on('message', (message: IsolatedTryCommand) => {
    if (message === 'abort') controller.abort();
    else if (typeof message === 'object' && 'terminate' in message) terminate.abort(new TryTerminatedError(message.terminate));
  });
  // The engine's migrations only: the parent worker opened the store with its plugins' (see migrate()).
  const store = await Store.open();
  try {
    const [dag, run, ti] = await Promise.all([
      new DagModuleCache().get(key.dagId, fileloc),
      store.runs.get(key.dagId, key.runId),
      store.tasks.get(key),
    ]);
    if (!run || ti?.state !== TaskInstanceState.RUNNING) {
      await reply({ failure: `try ${key.tryNumber} of ${key.dagId}.${key.taskId} is not running (state ${ti?.state ?? 'missing'})` });
    } else {
      await reply({
        outcome: await runTaskTry({
          store,
          dag,
          run,
          ti,
          clock: clockFromEnv(),
          signal: controller.signal,
          terminate: terminate.signal,
          queuedBy,
        }),
      });
    }
  } catch (error) {
    await reply({ failure: `could not run task: ${(error as Error).message}` });
  } finally {
    await store.close();
    process.exit(0);
  }
});
