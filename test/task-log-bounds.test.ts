import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOG_CHUNK_CHARS } from '../engine/execution/task-log-buffer.ts';
import { Store } from '../engine/store/store.ts';
import { LOG_PAGE_CHARS } from '../engine/webserver/routes/task-logs.ts';
import { cliJson, runCli, tempDir } from './helpers/cli.ts';
import { launchBrowser, openPage } from './helpers/browser.ts';
import type { UpdraftProcess } from './helpers/processes.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';

// Point 5 of issue 23: a try's log is capped, and the REST API, the CLI and the UI read any log a page at a time.

const MiB = 1024 * 1024;
const CAP_BYTES = 64 * 1024;
const BIG_LOG_MIB = 200;
const LINES_PRINTED = 100_000;

const DAG_FILE = `import { dag } from 'updraft';
const d = dag({ dagId: 'log_bounds' });
d.bash('chatty', "yes 'a chatty line of task output' | head -n ${LINES_PRINTED}; echo last-line");
d.bash('quiet', 'echo quiet');
export default d;
`;

const rssOf = (pid: number, field: 'VmRSS' | 'VmHWM'): number =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** One megabyte of log lines, numbered from `first`, each as a worker writes them. */
function bigChunk(index: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let n = 0; size < MiB - 200; n++) {
    const line = `[2026-01-01T00:00:00.000Z] {quiet} INFO - chunk ${String(index).padStart(4, '0')} line ${String(n).padStart(6, '0')} ${'x'.repeat(40)}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

describe('bounded task logs, paged end to end', () => {
  let home: string;
  let folder: string;
  let env: Record<string, string>;
  let server: UpdraftProcess | undefined;
  let url: string;
  let api: string;
  let runId: string;
  let bigLogSha = '';
  let bigLogChars = 0;
  let bigLogEnd = '';

  before(async () => {
    home = tempDir('updraft-log-bounds-');
    folder = tempDir('updraft-log-bounds-dags-');
    writeFileSync(join(folder, 'log_bounds.ts'), DAG_FILE);
    env = { UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: folder, UPDRAFT_TASK_LOG_MAX_BYTES: String(CAP_BYTES) };
    const run = await cliJson<{ run_id: string; state: string }>(['dags', 'test', 'log_bounds'], env);
    assert.equal(run.state, 'success');
    runId = run.run_id;

    // A 200 MB log for 'quiet', written where a worker writes it: chunk rows after its own.
    const store = await Store.open({ home });
    try {
      const key = { dagId: 'log_bounds', runId, taskId: 'quiet', tryNumber: 1 };
      const own = await store.logs.read(key);
      const hash = createHash('sha256').update(own);
      let chars = own.length;
      let tail = own;
      const first = (
        await store.db
          .selectFrom('task_log')
          .select((eb) => eb.fn.max('chunk').as('last'))
          .where('task_id', '=', 'quiet')
          .executeTakeFirstOrThrow()
      ).last;
      for (let i = 0; i < BIG_LOG_MIB; i++) {
        const chunk = bigChunk(i);
        await store.logs.append(key, Number(first) + 1 + i, chunk, new Date());
        hash.update(chunk);
        chars += chunk.length;
        tail = (tail + chunk).slice(-4096);
      }
      bigLogSha = hash.digest('hex');
      bigLogChars = chars;
      bigLogEnd = tail;
    } finally {
      await store.close();
    }
    const started = await startWebserverProcess(env, home);
    server = started.process;
    url = started.url;
    api = `${started.url}/api/v1/dags/log_bounds/dagRuns/${encodeURIComponent(runId)}/taskInstances`;
  });

  after(async () => {
    await server?.stop();
    // 200 MB of store: not left behind in /tmp.
    for (const dir of [home, folder]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the cap writes one marker, drops and counts the rest, and the task runs to its end', async () => {
    const cli = await runCli(['tasks', 'logs', 'log_bounds', runId, 'chatty'], env);
    assert.equal(cli.code, 0, cli.stderr);
    const log = cli.stdout;
    assert.equal(log.match(/log cap of 64 KiB per try reached \(UPDRAFT_TASK_LOG_MAX_BYTES\)/g)?.length, 1, log.slice(-2000));
    const output = log.split('\n').filter((l) => l.includes('a chatty line'));
    assert.ok(output.length > 100 && output.length < LINES_PRINTED, `${output.length} lines kept`);
    const kept = Buffer.byteLength(log.slice(0, log.indexOf('*** log cap')));
    assert.ok(kept <= CAP_BYTES + 200, `${kept} bytes before the marker`);
    // The runner's own lines still come after the marker: the dropped count and the outcome.
    const dropped = /\*\*\* (\d+) more line\(s\), .* of task output were dropped by the log cap/.exec(log);
    assert.ok(dropped, log.slice(-1000));
    assert.equal(Number(dropped[1]) + output.length, LINES_PRINTED + 1, 'every line after the cap is counted, the last one too');
    assert.doesNotMatch(log, /last-line/);
    assert.match(log, /Marking task as SUCCESS/);
    assert.ok(Buffer.byteLength(log) < CAP_BYTES + 2048, `${Buffer.byteLength(log)} bytes in all`);
  });

  it('8 parallel full reads of a 200 MB log keep the webserver under +150 MB RSS while /health answers', async () => {
    const logUrl = `${api}/quiet/logs/1`;
    const pid = server!.pid;
    assert.equal((await http(logUrl)).status, 200);
    const baseline = rssOf(pid, 'VmRSS');
    // Resets VmHWM to the current RSS (Linux clear_refs), so the peak below is this test's.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid, 'VmRSS'))), 20);
    let reading = true;
    const health: number[] = [];
    const prober = (async () => {
      while (reading) {
        health.push((await fetch(`${api.split('/api/v1/')[0]}/api/v1/health`)).status);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const reads = Array.from({ length: 8 }, async (_, i) => {
        const plain = i % 2 === 0;
        const response = await fetch(`${logUrl}?full_content=true`, { headers: { accept: plain ? 'text/plain' : 'application/json' } });
        assert.equal(response.status, 200);
        const hash = createHash('sha256');
        let bytes = 0;
        let last = '';
        for await (const part of response.body!) {
          const buffer = Buffer.from(part as Uint8Array);
          bytes += buffer.length;
          if (plain) hash.update(buffer);
          else last = (last + buffer.toString('latin1')).slice(-200);
        }
        if (plain) assert.equal(hash.digest('hex'), bigLogSha, 'the text is the whole log');
        else assert.match(last, /line \d+ x+\\n","continuation_token":"[\w-]+\.[\w-]+"}$/);
        assert.ok(bytes >= bigLogChars, `${bytes} bytes read`);
      });
      await Promise.all(reads);
    } finally {
      reading = false;
      clearInterval(sampler);
      await prober;
    }
    peak = Math.max(peak, rssOf(pid, 'VmHWM'));
    const grown = (peak - baseline) / MiB;
    assert.ok(grown < 150, `webserver RSS grew by ${grown.toFixed(0)} MB (from ${(baseline / MiB).toFixed(0)} MB)`);
    assert.ok(health.length > 0 && health.every((s) => s === 200), `health answered ${health.join(',')}`);
  });

  it('paging with continuation_token returns the whole log exactly once, in order; tail pages backwards; a bad token is a 400', async () => {
    const logUrl = `${api}/quiet/logs/1`;
    const hash = createHash('sha256');
    let token: string | null = null;
    let pages = 0;
    let chars = 0;
    for (;;) {
      const page = await http(`${logUrl}${token ? `?token=${token}` : ''}`);
      assert.equal(page.status, 200, page.text.slice(0, 300));
      assert.ok(page.json.content.length <= LOG_PAGE_CHARS + LOG_CHUNK_CHARS, 'a page is bounded');
      assert.equal(typeof page.json.continuation_token, 'string');
      if (page.json.content === '') {
        assert.equal(page.json.continuation_token, token, 'at the end the token stays where it is');
        break;
      }
      hash.update(page.json.content);
      chars += page.json.content.length;
      token = page.json.continuation_token;
      pages++;
    }
    assert.equal(chars, bigLogChars);
    assert.equal(hash.digest('hex'), bigLogSha);
    assert.ok(pages >= BIG_LOG_MIB, `${pages} pages`);

    // The UI's tail: the last characters, then the ones before them.
    const tail = await http(`${logUrl}?tail=1000`);
    assert.equal(tail.json.content, bigLogEnd.slice(-1000));
    assert.equal(tail.json.continuation_token, token, 'a tail follows on from the end');
    const earlier = await http(`${logUrl}?tail=1000&token=${tail.json.earlier_token}`);
    assert.equal(earlier.json.content, bigLogEnd.slice(-2000, -1000));
    const text = await http(`${logUrl}?tail=500`, { headers: { accept: 'text/plain' } });
    assert.equal(text.text, bigLogEnd.slice(-500));
    assert.equal(text.type.split(';')[0], 'text/plain');

    // A short log comes whole in one page; reading from its end gives nothing new.
    const short = await http(`${api}/chatty/logs/1`);
    assert.match(short.json.content, /Marking task as SUCCESS\n$/);
    const shortStart = await http(`${api}/chatty/logs/1?tail=${LOG_PAGE_CHARS}`);
    assert.equal(shortStart.json.earlier_token, null, 'nothing lies before the start');
    assert.equal((await http(`${api}/chatty/logs/1?token=${short.json.continuation_token}`)).json.content, '');

    // Tokens are opaque and checked: an edited one, or one of another try's log, is refused.
    const [payload, signature] = (token as string).split('.');
    const forged = `${Buffer.from(JSON.stringify({ c: 0, o: 5 })).toString('base64url')}.${signature}`;
    for (const bad of [forged, `${payload}.${signature!.slice(1)}x`, 'not-a-token', short.json.continuation_token]) {
      const refused = await http(`${logUrl}?token=${encodeURIComponent(bad)}`);
      assert.equal(refused.status, 400, bad);
      assert.match(refused.json.detail, /^token: not a continuation token of the log of task 'quiet' try 1/);
    }
    assert.equal((await http(`${logUrl}?full_content=true&tail=10`)).status, 400);
    assert.equal((await http(`${logUrl}?map_index=3`)).status, 404);
    assert.equal((await http(`${logUrl}?map_index=-1&tail=5`)).json.content, bigLogEnd.slice(-5));
  });

  it('the UI shows the tail of a long log, loads earlier lines on demand, and never asks for the whole log', async () => {
    const browser = await launchBrowser();
    try {
      const page = await openPage(browser, { width: 1400, height: 900 });
      const logReads: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/logs/')) logReads.push(request.url());
      });
      await page.goto(`${url}/dags/log_bounds?run=${encodeURIComponent(runId)}&task=quiet`);
      const last = bigLogEnd.trimEnd().split('\n').at(-1)!;
      await page.waitForFunction(
        (line) => (document.querySelector('[data-testid="task-log"]')?.textContent ?? '').endsWith(`${line}\n`),
        last,
      );
      const shown = (await page.getByTestId('task-log').textContent())!.length;
      assert.ok(shown <= 64 * 1024, `${shown} characters shown`);
      await page.getByTestId('log-earlier').click();
      await page.waitForFunction(
        (before) => (document.querySelector('[data-testid="task-log"]')?.textContent ?? '').length > before,
        shown,
      );
      assert.ok(
        logReads.length > 0 && logReads.every((u) => /[?&](tail|token)=/.test(u) && !u.includes('full_content')),
        logReads.join('\n'),
      );
    } finally {
      await browser.close();
    }
  });
});
