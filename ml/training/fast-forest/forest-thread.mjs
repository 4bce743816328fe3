// Worker-thread entry: builds the trees it is asked for (TypeScript through tsx, whose loader's
// URL the creator passes in as `register`: runtimeRegisterUrl of engine/plugin-api.ts).
import { parentPort, workerData } from 'node:worker_threads';

await import(workerData.register);
const { buildTrees } = await import('./tree-builder.ts');
buildTrees(workerData, (index, tree) => parentPort.postMessage({ index, tree }));
parentPort.postMessage({ done: true });
