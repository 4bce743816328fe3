// Worker-thread entry: loads one DAG file in isolation and posts back its DAGs
// as plain data, or the error. A file that hangs here is terminated by the parent.
import { parentPort, workerData } from 'node:worker_threads';

await import('../runtime/register.mjs');
const { describeDagModule } = await import('./describe-module.ts');
try {
  const mod = await import(workerData.url);
  parentPort.postMessage({ ok: true, dags: describeDagModule(mod, workerData.file) });
} catch (error) {
  parentPort.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
}
