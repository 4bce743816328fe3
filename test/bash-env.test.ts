import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSecretEnvVar } from '../engine/models/secret-env.ts';
import { runCli, tempDir } from './helpers/cli.ts';

// Each task prints the names of the variables it was given on one line, and a value or two.
const DAG_FILE = `
import { dag } from 'updraft';
const names = 'echo "names: $(compgen -e | tr "\\\\n" " ")"';
export const bashEnvironments = dag({ dagId: 'bash_environments', params: { model: 'churn' } });
bashEnvironments.bash('clean', names);
bashEnvironments.bash('appended', names, { appendEnv: true });
bashEnvironments.bash('added', names + '; echo "greeting: $GREETING"', { env: { GREETING: 'hello' } });
`;

/** What a worker's environment may hold: Updraft's own secrets, a driver's, one by name, one in a URL, and something harmless. */
const WORKER_ENV = {
  REDIS_URL: 'redis://:hunter2-redis@127.0.0.1:1/0',
  UPDRAFT_API_TOKEN: 'hunter2-token-0123456789',
  PGPASSWORD: 'hunter2-pg',
  MAIL_SERVICE_SECRET: 'hunter2-mail',
  HTTPS_PROXY: 'http://proxy-user:hunter2-proxy@127.0.0.1:3128',
  HARMLESS_SETTING: 'visible',
};
const SECRET_NAMES = ['REDIS_URL', 'UPDRAFT_API_TOKEN', 'PGPASSWORD', 'MAIL_SERVICE_SECRET', 'HTTPS_PROXY'];
/** What bash itself exports whatever it is given. */
const BASH_OWN = new Set(['PWD', 'SHLVL', '_', 'OLDPWD']);

describe("a bash task gets a clean environment (a divergence from Airflow, which inherits the worker's)", () => {
  it('dags test: no secret of the worker reaches the task; appendEnv adds the harmless rest; env adds variables', async () => {
    const folder = tempDir('updraft-dags-');
    writeFileSync(join(folder, 'bash_environments.ts'), DAG_FILE);
    const home = tempDir();
    const env = { UPDRAFT_HOME: home, ...WORKER_ENV };
    const run = await runCli(['--dags-folder', folder, 'dags', 'test', 'bash_environments', '--output', 'json'], env);
    assert.equal(run.code, 0, run.stderr);
    const { run_id: runId, state } = JSON.parse(run.stdout) as { run_id: string; state: string };
    assert.equal(state, 'success');

    const logOf = async (taskId: string): Promise<{ names: Set<string>; text: string }> => {
      const log = await runCli(['--dags-folder', folder, 'tasks', 'logs', 'bash_environments', runId, taskId], env);
      assert.equal(log.code, 0, log.stderr);
      const names = /names: (.*)$/m.exec(log.stdout)?.[1];
      assert.ok(names !== undefined, log.stdout);
      return { names: new Set(names.trim().split(/\s+/)), text: log.stdout };
    };
    const clean = await logOf('clean');
    const appended = await logOf('appended');
    const added = await logOf('added');

    for (const { text } of [clean, appended, added]) assert.doesNotMatch(text, /hunter2/);
    for (const { names } of [clean, appended, added])
      for (const name of SECRET_NAMES) assert.ok(!names.has(name), `${name} reached a bash task`);

    const unexpected = [...clean.names].filter(
      (n) => !['PATH', 'HOME', 'LANG', 'TZ'].includes(n) && !n.startsWith('UPDRAFT_') && !BASH_OWN.has(n),
    );
    assert.deepEqual(unexpected, [], 'a task without appendEnv gets PATH, HOME, LANG, TZ and its context variables only');
    for (const name of ['PATH', 'HOME', 'UPDRAFT_PARAM_MODEL', 'UPDRAFT_CONF_FILE', 'UPDRAFT_CTX_DAG_ID'])
      assert.ok(clean.names.has(name), `${name} missing`);

    assert.ok(appended.names.has('HARMLESS_SETTING'), 'appendEnv inherits what is not secret');
    assert.ok(appended.names.has('UPDRAFT_HOME'));
    assert.ok(appended.names.has('UPDRAFT_CTX_TASK_ID'));

    assert.ok(!added.names.has('HARMLESS_SETTING'));
    assert.match(added.text, /greeting: hello/);
  });

  it("secret names: Updraft's own, a driver's, any *_PASSWORD/_TOKEN/_SECRET/_KEY word, any URL holding a password", () => {
    for (const name of [
      'UPDRAFT_API_TOKEN',
      'REDIS_URL',
      'UPDRAFT_DATABASE_URL',
      'UPDRAFT_ARTIFACTS_URL',
      'PGPASSWORD',
      'SMTP_PASSWORD',
      'GITHUB_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'openai_api_key',
      'GOOGLE_APPLICATION_CREDENTIALS',
    ]) {
      assert.ok(isSecretEnvVar(name, 'x'), name);
    }
    assert.ok(isSecretEnvVar('DATABASE_URL', 'postgres://app:pw@db/app'));
    for (const [name, value] of [
      ['PATH', '/usr/bin'],
      ['TOKENIZERS_PARALLELISM', 'false'],
      ['KEYBOARD_LAYOUT', 'us'],
      ['DATABASE_URL', 'postgres://db/app'],
      ['PGHOST', 'db'],
    ]) {
      assert.ok(!isSecretEnvVar(name!, value), name);
    }
  });
});
