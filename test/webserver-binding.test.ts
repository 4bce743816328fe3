import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSafeBinding, isLoopback, isLoopbackAddress } from '../engine/webserver/auth.ts';
import { dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';

const LONG_TOKEN = 'a-token-of-24-characters';

describe('webserver binding: loopback by resolved address, no short API token', () => {
  it('loopback is what the host resolves to, not how its name starts', async () => {
    for (const address of ['127.0.0.1', '127.8.9.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackAddress(address), true, address);
    for (const address of ['0.0.0.0', '10.0.0.5', '::', '::ffff:10.0.0.5', '1127.0.0.1', 'fe80::1'])
      assert.equal(isLoopbackAddress(address), false, address);
    assert.equal(await isLoopback('localhost'), true);
    assert.equal(await isLoopback('127.0.0.1'), true);
    assert.equal(await isLoopback('0.0.0.0'), false);
    // `.invalid` never resolves (RFC 2606): a name that merely starts like a loopback address is not one.
    await assert.rejects(
      assertSafeBinding('127.0.0.1.invalid', undefined),
      /^InvalidInputError: --host 127\.0\.0\.1\.invalid does not resolve \(ENOTFOUND\)/,
    );
    await assert.rejects(assertSafeBinding('0.0.0.0', undefined), /refusing to listen on 0\.0\.0\.0 without an API token/);
    await assertSafeBinding('0.0.0.0', LONG_TOKEN);
    await assertSafeBinding('localhost', undefined);
  });

  it('updraft webserver --host <a name that does not resolve>: one line, exit 1', async () => {
    const r = await runCli(['webserver', '--host', '127.0.0.1.invalid', '--port', '0'], {
      UPDRAFT_HOME: tempDir(),
      UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts'),
      UPDRAFT_API_TOKEN: '',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^updraft: error: --host 127\.0\.0\.1\.invalid does not resolve \(ENOTFOUND\): [^\n]+\n$/);
  });

  it('an API token shorter than 16 characters is refused at start, naming the setting (webserver and standalone)', async () => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts'), UPDRAFT_API_TOKEN: 'x' };
    const expected = /^updraft: error: UPDRAFT_API_TOKEN is 1 character\(s\) long: it must be at least 16 [^\n]*\n$/;
    const web = await runCli(['webserver', '--port', '0'], env);
    assert.equal(web.code, 1);
    assert.match(web.stderr, expected);
    // Refused before anything starts (no Redis, no scheduler, no workers).
    const standalone = await runCli(['standalone', '--port', '0'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal(standalone.code, 1);
    assert.match(standalone.stderr, expected);
  });
});
