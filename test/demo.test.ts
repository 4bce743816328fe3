import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, tempDir } from './helpers/cli.ts';
import { startRedis } from './helpers/redis.ts';

describe('npm run demo', () => {
  it('runs both retraining runs through scheduler and workers, then leaves no Redis key and no temporary folder behind', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const tmp = tempDir('updraft-demo-tmp-');
    const home = tempDir('updraft-demo-home-');
    const child = spawn(process.execPath, ['--import', './engine/runtime/register.mjs', 'scripts/demo.ts'], {
      cwd: REPO,
      env: { ...process.env, REDIS_URL: redis.url, UPDRAFT_HOME: home, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /running through a scheduler and 2 worker processes/);
    assert.match(out, /run 1 \(production data drifted\): \S+ → success/);
    assert.match(out, /run 2 \(production data like the reference\): \S+ → success/);
    assert.deepEqual(await redis.client().keys('*'), [], 'no Redis key left behind');
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.startsWith('updraft-demo')),
      [],
      'no temporary folder left behind',
    );
    assert.ok(readdirSync(join(home, 'artifacts')).length > 0, 'what the demo made to explore stays in UPDRAFT_HOME');
  });
});
