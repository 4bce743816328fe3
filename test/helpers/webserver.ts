import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.ts';
import { startUpdraft, waitFor, type UpdraftProcess } from './processes.ts';

/** Screenshots and other artefacts of the browser tests (git-ignored; CI keeps them as artifacts). */
export const TEST_OUTPUT = process.env.UPDRAFT_TEST_OUTPUT || join(REPO, 'test-results');

/** `updraft webserver --port 0` as a real child process; resolves with its URL once it listens. */
export async function startWebserverProcess(
  env: Record<string, string>,
  logDir: string,
  args: string[] = [],
): Promise<{ process: UpdraftProcess; url: string }> {
  const child = startUpdraft(['webserver', '--port', '0', ...args], env, logDir);
  const url = await waitFor(
    `webserver URL in ${child.logFile}`,
    async () => {
      if (child.child.exitCode !== null)
        throw new Error(`webserver exited ${child.child.exitCode}: ${readFileSync(child.logFile, 'utf8')}`);
      return /"url":"(http:\/\/[^"]+)"/.exec(readFileSync(child.logFile, 'utf8'))?.[1];
    },
    60_000,
  ).catch(async (error: unknown) => {
    // The caller never gets the process: it must not outlive the test.
    await child.stop('SIGKILL');
    throw error;
  });
  return { process: child, url };
}

/** fetch + JSON for API tests: the status, the parsed body and the content type. */
export async function http(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: tests look at `text`
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read REST answers field by field; each assertion checks the shape it reads
  return { status: response.status, type: response.headers.get('content-type') ?? '', json: json as Record<string, any>, text };
}
