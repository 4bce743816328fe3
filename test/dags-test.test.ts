import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliJson, dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';

interface TiRow {
  task_id: string;
  try_number: number;
  state: string;
  error: string | null;
  worker_id: string | null;
}
interface TestResult {
  dag_id: string;
  run_id: string;
  state: string;
  task_instances: TiRow[];
}

const folder = dagFolderFrom('features/features.ts');

async function dagsTest(
  dagId: string,
  extra: string[] = [],
  home = tempDir(),
): Promise<{ result: TestResult; code: number; home: string; stderr: string }> {
  const r = await runCli(['--dags-folder', folder, 'dags', 'test', dagId, '--output', 'json', ...extra], { UPDRAFT_HOME: home });
  assert.ok(r.stdout.trim().startsWith('{'), `no JSON from dags test ${dagId}: ${r.stderr}`);
  return { result: JSON.parse(r.stdout) as TestResult, code: r.code, home, stderr: r.stderr };
}
const statesOf = (rows: TiRow[]) => Object.fromEntries(rows.map((r) => [`${r.task_id}#${r.try_number}`, r.state]));

describe('updraft dags test (in-process, no Redis)', () => {
  it('branch: the unchosen path is skipped, the skip propagates, the join runs and reads XCom', async () => {
    const { result, code, home } = await dagsTest('branch_join');
    assert.equal(code, 0);
    assert.equal(result.state, 'success');
    assert.deepEqual(statesOf(result.task_instances), {
      'start#1': 'success',
      'pick#1': 'success',
      'left#1': 'success',
      'right#1': 'skipped',
      'right_child#1': 'skipped',
      'join#1': 'success',
    });
    const log = await runCli(['--dags-folder', folder, 'tasks', 'logs', 'branch_join', result.run_id, 'pick'], { UPDRAFT_HOME: home });
    assert.match(log.stdout, /Skipping downstream: right/);
  });

  it('run conf overrides params and flips the branch', async () => {
    const { result } = await dagsTest('branch_join', ['--conf', '{"side": "right"}']);
    assert.equal(result.state, 'success');
    const states = statesOf(result.task_instances);
    assert.equal(states['left#1'], 'skipped');
    assert.equal(states['right_child#1'], 'success');
    assert.equal(states['join#1'], 'success');
  });

  it('XCom: values pass downstream and are typed by the task', async () => {
    // left = start (20) * 2 + 2 = 42; join = left + 1
    const { result, home } = await dagsTest('branch_join', ['--logical-date', '2026-06-01']);
    assert.equal(result.run_id, 'manual__2026-06-01T00:00:00.000Z');
    const log = await runCli(['--dags-folder', folder, 'tasks', 'logs', 'branch_join', result.run_id, 'join', '-o', 'json'], {
      UPDRAFT_HOME: home,
    });
    assert.equal(JSON.parse(log.stdout).try_number, 1);
    const { openStoreWithPlugins } = await import('../engine/plugins/open-store.ts');
    const s = await openStoreWithPlugins({ home });
    try {
      const xcom = await s.xcom.forRun('branch_join', result.run_id);
      assert.equal(xcom.get('left'), 42);
      assert.deepEqual(xcom.get('join'), { total: 43 });
    } finally {
      await s.close();
    }
  });

  it('retries: each try is its own row and log; up_for_retry between tries', async () => {
    const { result, home } = await dagsTest('retry_then_succeed', ['--retry-delay-scale', '0.1']);
    assert.equal(result.state, 'success');
    assert.deepEqual(statesOf(result.task_instances), { 'flaky#1': 'up_for_retry', 'flaky#2': 'up_for_retry', 'flaky#3': 'success' });
    assert.match(result.task_instances[0]!.error!, /transient failure on try 1/);
    for (const tryNumber of [1, 2, 3]) {
      const r = await runCli(
        ['--dags-folder', folder, 'tasks', 'logs', 'retry_then_succeed', result.run_id, 'flaky', '--try', String(tryNumber)],
        { UPDRAFT_HOME: home },
      );
      assert.match(r.stdout, new RegExp(`attempt ${tryNumber}\\n`));
    }
  });

  it('a failing task: run failed, exit 1, trigger rules downstream, failure callback once', async () => {
    const home = tempDir();
    const marker = join(home, 'callback.txt');
    const { result, code } = await dagsTest('failing', ['--conf', JSON.stringify({ marker }), '--retry-delay-scale', '0'], home);
    assert.equal(code, 1);
    assert.equal(result.state, 'failed');
    assert.deepEqual(statesOf(result.task_instances), {
      'boom#1': 'up_for_retry',
      'boom#2': 'failed',
      'after#1': 'upstream_failed',
      'cleanup#1': 'success',
      'alert#1': 'success',
    });
    assert.equal(readFileSync(marker, 'utf8'), 'failure-callback boom boom\n');
    const state = await cliJson<{ state: string }>(['dags', 'state', 'failing', result.run_id], { UPDRAFT_HOME: home });
    assert.equal(state.state, 'failed');
  });

  it('timeouts, skip and fail-without-retry on purpose, short-circuit', async () => {
    const { result } = await dagsTest('edge_cases');
    const states = statesOf(result.task_instances);
    assert.equal(states['too_slow#1'], 'failed');
    assert.match(result.task_instances.find((t) => t.task_id === 'too_slow')!.error!, /TaskTimeoutError: execution timed out after 1s/);
    assert.equal(states['skip_on_purpose#1'], 'skipped');
    assert.equal(states['fail_on_purpose#1'], 'failed');
    assert.equal(states['fail_on_purpose#2'], undefined, 'FailWithoutRetryError must not retry although retries=3');
    assert.equal(states['gated#1'], 'skipped');
    assert.equal(states['gated_all_done#1'], 'skipped', 'short-circuit skips every descendant by default');
  });

  it('bash: params and conf arrive as environment variables, never interpolated', async () => {
    const home = tempDir();
    const evil = `$(touch ${join(home, 'pwned')}) hi`;
    const { result } = await dagsTest('bash_env', ['--conf', JSON.stringify({ greeting: evil })], home);
    assert.equal(result.state, 'success');
    assert.equal(statesOf(result.task_instances)['skip_me#1'], 'skipped', 'exit code 99 skips');
    const log = await runCli(['--dags-folder', folder, 'tasks', 'logs', 'bash_env', result.run_id, 'say'], { UPDRAFT_HOME: home });
    assert.ok(log.stdout.includes(`${evil} from bash_env`), log.stdout);
    assert.equal(existsSync(join(home, 'pwned')), false);
  });

  it('bad input: bad conf, bad date, bad option are one line, exit non-zero, nothing written', async () => {
    const home = tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['--conf', '{nope'], /^updraft: error: --conf is not valid JSON/],
      [['--conf', '[1,2]'], /^updraft: error: --conf must be a JSON object/],
      [['--logical-date', 'yesterday'], /^updraft: error: --logical-date: not an ISO date: 'yesterday'/],
      [['--retry-delay-scale', '-1'], /^updraft: error: --retry-delay-scale must be a number >= 0/],
      [['--output', 'xml'], /error: option '-o, --output <format>' argument 'xml' is invalid/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(['--dags-folder', folder, 'dags', 'test', 'branch_join', ...args], { UPDRAFT_HOME: home });
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    const runs = await cliJson<unknown[]>(['--dags-folder', folder, 'dags', 'list-runs', 'branch_join'], { UPDRAFT_HOME: home });
    assert.deepEqual(runs, []);
  });

  it('a second run at the same logical date is refused', async () => {
    const home = tempDir();
    await dagsTest('branch_join', ['--logical-date', '2026-06-01'], home);
    const r = await runCli(['--dags-folder', folder, 'dags', 'test', 'branch_join', '--logical-date', '2026-06-01'], {
      UPDRAFT_HOME: home,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already has a run at logical date 2026-06-01T00:00:00.000Z/);
  });

  it('tasks test runs one task without recording it', async () => {
    const home = tempDir();
    const r = await runCli(['--dags-folder', folder, 'tasks', 'test', 'branch_join', 'start'], { UPDRAFT_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Task start: success/);
    const runs = await cliJson<unknown[]>(['dags', 'list-runs', 'branch_join'], { UPDRAFT_HOME: home });
    assert.deepEqual(runs, []);
  });

  it('list-runs and states-for-dag-run give stable JSON', async () => {
    const { result, home } = await dagsTest('retry_then_succeed', ['--retry-delay-scale', '0']);
    const runs = await cliJson<Array<Record<string, unknown>>>(
      ['dags', 'list-runs', 'retry_then_succeed', '--state', 'success', '--limit', '5'],
      { UPDRAFT_HOME: home },
    );
    assert.equal(runs.length, 1);
    assert.deepEqual(Object.keys(runs[0]!), [
      'dag_id',
      'run_id',
      'state',
      'run_type',
      'logical_date',
      'data_interval_start',
      'data_interval_end',
      'start_date',
      'end_date',
      'conf',
    ]);
    const tis = await cliJson<TiRow[]>(['tasks', 'states-for-dag-run', 'retry_then_succeed', result.run_id], { UPDRAFT_HOME: home });
    assert.deepEqual(
      tis.map((t) => [t.try_number, t.state]),
      [
        [1, 'up_for_retry'],
        [2, 'up_for_retry'],
        [3, 'success'],
      ],
    );
    assert.ok(
      tis.every((t) => t.worker_id),
      'worker id recorded per try',
    );
    const state = await runCli(['tasks', 'state', 'retry_then_succeed', 'flaky', result.run_id], { UPDRAFT_HOME: home });
    assert.deepEqual([state.code, state.stdout], [0, 'success\n']);
    const missing = await runCli(['tasks', 'state', 'retry_then_succeed', 'nope', result.run_id], { UPDRAFT_HOME: home });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^updraft: error: run '.*' of DAG 'retry_then_succeed' has no task 'nope'\n$/);
  });

  it('tasks list: the tasks in topological order with their settings', async () => {
    const tasks = await cliJson<Array<{ task_id: string; upstream_task_ids: string[] }>>(
      ['--dags-folder', folder, 'tasks', 'list', 'branch_join'],
      { UPDRAFT_HOME: tempDir() },
    );
    const position = new Map(tasks.map((t, i) => [t.task_id, i]));
    assert.ok(tasks.length > 3);
    for (const t of tasks)
      for (const u of t.upstream_task_ids) assert.ok(position.get(u)! < position.get(t.task_id)!, `${u} before ${t.task_id}`);
  });
});
