import assert from 'node:assert/strict';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StoreCorruptError } from '../engine/store/errors.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';
import { startRedis } from './helpers/redis.ts';

/** A store whose every page after the first (the schema) is overwritten: the first read of any table meets the damage. */
async function corruptStore(): Promise<{ home: string; file: string }> {
  const home = tempDir('updraft-corrupt-');
  await (await openStoreWithPlugins({ home })).close();
  const file = join(home, 'updraft.db');
  const fd = openSync(file, 'r+');
  const page = 4096;
  writeSync(fd, Buffer.alloc(statSync(file).size - page, 0xaa), 0, undefined, page);
  closeSync(fd);
  return { home, file };
}

const oneLine = (file: string, code: string): RegExp =>
  new RegExp(
    `^updraft: error: store ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt \\(${code}: [^)]+\\): restore a backup or move it aside [^\\n]*\`sqlite3 [^\\n]+ \\.recover[^\\n]*\\n$`,
  );

describe('a corrupt SQLite store: one line naming the file and how to recover, no stack', () => {
  it('a damaged page: CLI commands, the scheduler and a worker each say so in one line, exit 1', async (t) => {
    const { home, file } = await corruptStore();
    const redis = await startRedis();
    t.after(() => redis.stop());
    const env = {
      UPDRAFT_HOME: home,
      UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts'),
      REDIS_URL: redis.url,
      UPDRAFT_REDIS_PREFIX: redis.prefix,
    };
    const results = await Promise.all([['dags', 'list'], ['scheduler'], ['worker']].map((args) => runCli(args, env)));
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, 1, `${['dags list', 'scheduler', 'worker'][i]}: ${r.stderr}`);
      assert.match(r.stderr, oneLine(file, 'SQLITE_CORRUPT'));
    }
  });

  it('a file that is not a database at all: the same error when the store opens', async () => {
    const { home, file } = await corruptStore();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x41), 0, undefined, 0);
    closeSync(fd);
    await assert.rejects(
      openStoreWithPlugins({ home }),
      (error: Error) => error instanceof StoreCorruptError && oneLine(file, 'SQLITE_NOTADB').test(`updraft: error: ${error.message}\n`),
    );
  });
});
