// Worker-thread entry: loads one DAG file in isolation and posts back its DAGs
// as plain data, or the error. A file that hangs here is terminated by the parent.
import { parentPort, workerData } from 'node:worker_threads';

await import('../runtime/register.mjs');
const { describeDagModule } = await import('./describe-module.ts');
try {
  const mod = await import(workerData.url);
  parentPort.postMessage({ ok: true, dags: describeDagModule(mod, workerData.file) });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  parentPort.postMessage({ ok: false, message: `${message}${failingLine(error, message)}` });
}

/** ` (at line L)` when the stack names a line of this DAG file the message does not already point at: the web UI marks it. */
function failingLine(error, message) {
  if (!(error instanceof Error) || message.includes(`${workerData.file}:`)) return '';
  const url = workerData.url.split('?')[0];
  // tsx source-maps the stack: frames name the plain path (or the URL without the fingerprint query).
  const frame = error.stack?.split('\n').find((line) => line.includes(`${workerData.file}:`) || line.includes(url));
  const line = frame && /:(\d+):\d+\)?\s*$/.exec(frame)?.[1];
  return line ? ` (at line ${line})` : '';
}
