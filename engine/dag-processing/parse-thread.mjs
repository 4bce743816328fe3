// Worker-thread entry: loads DAG files in isolation from the parent and posts
// back each file's DAGs as plain data, or the error. One file at a time; the
// thread may serve many files (see parse-pool.ts).
// A file that hangs here is terminated by the parent.
import { parentPort } from 'node:worker_threads';

await import('../runtime/register.mjs');
const { describeDagModule } = await import('./describe-module.ts');

/** Imports `url` (the file's URL with a query that makes each parse evaluate it afresh). */
async function parseOne({ file, url }) {
  try {
    const mod = await import(url);
    return { ok: true, dags: describeDagModule(mod, file) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `${message}${failingLine(error, message, file, url)}` };
  }
}

/** ` (at line L)` when the stack names a line of this DAG file the message does not already point at: the web UI marks it. */
function failingLine(error, message, file, url) {
  if (!(error instanceof Error) || message.includes(`${file}:`)) return '';
  const plain = url.split('?')[0];
  // tsx source-maps the stack: frames name the plain path (or the URL without the query).
  const frame = error.stack?.split('\n').find((line) => line.includes(`${file}:`) || line.includes(plain));
  const line = frame && /:(\d+):\d+\)?\s*$/.exec(frame)?.[1];
  return line ? ` (at line ${line})` : '';
}

parentPort.on('message', async (request) => {
  const started = performance.now();
  const result = await parseOne(request);
  parentPort.postMessage({ ...result, durationMs: performance.now() - started });
});
// The loader and the engine are loaded (about half a second of CPU): the parent starts a file's timeout only now.
parentPort.postMessage({ ready: true });
