// Worker-thread entry: the heartbeat of a worker's running tries (see try-terminator.ts).
// Its own event loop and store connection keep it beating while a task blocks the worker's.
import { parentPort, workerData } from 'node:worker_threads';

await import('../runtime/register.mjs');
const { beatInThread } = await import('./heartbeat-beats.ts');
await beatInThread(workerData, parentPort);
