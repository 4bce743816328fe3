// Worker-thread entry: builds the trees it is asked for (TypeScript through tsx).
import { parentPort, workerData } from 'node:worker_threads';

await import('../../../engine/runtime/register.mjs');
const { buildTrees } = await import('./tree-builder.ts');
buildTrees(workerData, (index, tree) => parentPort.postMessage({ index, tree }));
parentPort.postMessage({ done: true });
