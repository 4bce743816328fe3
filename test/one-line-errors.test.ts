import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliJson, dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';

const folder = dagFolderFrom('features/features.ts');
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('one-line errors, never a stack trace', () => {
  it('a busy port: updraft webserver says the port is in use, exit 1', async (t) => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    t.after(() => squatter.close());
    const port = (squatter.address() as { port: number }).port;
    const r = await runCli(['webserver', '--port', String(port)], { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder });
    assert.equal(r.code, 1);
    // Log lines may come first (the folder parse); the error is the last line, alone, with no stack trace.
    assert.match(
      r.stderr,
      new RegExp(`\\nupdraft: error: port ${port} is in use on 127\\.0\\.0\\.1 \\(another webserver\\?\\): choose another with --port\\n$`),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a run conf nested too deep or too large: the CLI and the REST API name the limit', async (t) => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };
    const deep = await runCli(['dags', 'trigger', 'branch_join', '--conf', nested(50)], env);
    assert.equal(deep.code, 1);
    assert.match(deep.stderr, /^updraft: error: --conf is nested more than 32 levels deep\n$/);
    const huge = await runCli(['dags', 'test', 'branch_join', '--conf', JSON.stringify({ blob: 'x'.repeat(70_000) })], env);
    assert.equal(huge.code, 1);
    assert.match(huge.stderr, /^updraft: error: --conf is 70\d{3} bytes; the limit is 65536 bytes \(64 KiB\)/);
    const crushing = await runCli(['dags', 'test', 'branch_join', '--conf', nested(15_000)], env);
    assert.equal(crushing.code, 1);
    assert.match(crushing.stderr, /^updraft: error: --conf (is not valid JSON|is nested more than 32 levels deep)/);
    assert.equal(crushing.stderr.split('\n').length, 2, 'one line');

    const { process: web, url } = await startWebserverProcess(env, tempDir());
    t.after(() => web.stop());
    const api = `${url}/api/v1/dags/branch_join/dagRuns`;
    const tooDeep = await http(api, {
      method: 'POST',
      raw: JSON.stringify({ conf: JSON.parse(nested(40)) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(tooDeep.status, 400);
    assert.match(tooDeep.json.detail, /nested more than 32 levels deep/);
    const tooBig = await http(api, { method: 'POST', body: { conf: { blob: 'x'.repeat(70_000) } } });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.json.detail, /the limit is 65536 bytes/);
    const overBody = await http(api, { method: 'POST', body: { conf: { blob: 'x'.repeat(1_100_000) } } });
    assert.equal(overBody.status, 413);
    assert.match(overBody.json.detail, /request body over the limit of 1048576 bytes/);
  });

  it('params too large for a bash task environment reach it through UPDRAFT_PARAMS_FILE / UPDRAFT_CONF_FILE (no E2BIG)', async () => {
    const dags = tempDir('updraft-bigparams-');
    writeFileSync(
      join(dags, 'big.ts'),
      `
import { dag } from 'updraft';
export const d = dag({ dagId: 'big_params', params: { corpus: 'y'.repeat(200_000) } });
d.bash('count', 'test -z "$UPDRAFT_PARAMS" && wc -c < "$UPDRAFT_PARAMS_FILE" && grep -c knob "$UPDRAFT_CONF_FILE"');
`,
    );
    const run = await cliJson<{ state: string; task_instances: Array<{ task_id: string; state: string; error: string | null }> }>(
      ['dags', 'test', 'big_params', '--conf', '{"knob": 1}'],
      { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: dags },
    );
    assert.equal(run.state, 'success', JSON.stringify(run.task_instances));
  });

  it('training data too small or missing a class: one line naming the file and the column, nothing registered', async () => {
    const dir = tempDir('updraft-tiny-data-');
    const env = { UPDRAFT_HOME: join(dir, 'home') };
    const tiny = join(dir, 'tiny.csv');
    writeFileSync(tiny, 'tenure,charges,churned\n1,2,yes\n3,4,no\n');
    const small = await runCli(['models', 'train', 'churn', '--data', tiny, '--target', 'churned', '--trees', '3'], env);
    assert.equal(small.code, 1);
    assert.equal(
      small.stderr,
      `updraft: error: ${tiny}: 2 data rows are too few to train and score a model: a 20% holdout per class of 'churned' needs a class with at least 3 rows (counts: 'no' 1, 'yes' 1)\n`,
    );
    const single = join(dir, 'single.csv');
    writeFileSync(single, 'tenure,charges,churned\n1,2,no\n3,4,no\n5,6,no\n');
    const one = await runCli(['models', 'train', 'churn', '--data', single, '--target', 'churned'], env);
    assert.equal(one.code, 1);
    assert.equal(one.stderr, `updraft: error: ${single}: target column 'churned' has a single class ('no'); training needs at least two\n`);
    assert.deepEqual(await cliJson(['models', 'list'], env), [], 'nothing registered');

    // A class whose every row lands in the holdout (a large test fraction): named, not a crash in the forest.
    const { assertTrainableSplit, datasetFromBytes, stratifiedSplit } = await import('../ml/training/dataset.ts');
    const { DataValidationError } = await import('../ml/errors.ts');
    const data = datasetFromBytes(Buffer.from('a,y\n1,x\n2,x\n3,x\n4,z\n'), 'rare.csv', 'y');
    assert.throws(
      () => assertTrainableSplit(data, stratifiedSplit(data.y, 0.5, 42), 0.5),
      (error: Error) =>
        error instanceof DataValidationError &&
        error.message === "rare.csv: class 'z' of target column 'y' has 1 row(s), all held out for testing; training needs at least one",
    );
  });
});
