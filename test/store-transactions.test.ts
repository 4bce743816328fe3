import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { REPO, tempDir } from './helpers/cli.ts';

/** Another process that takes SQLite's write lock and holds it until told (a line on stdin) to commit. */
function lockHolder(file: string) {
  const script = `
    const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
    db.exec('begin immediate');
    db.prepare("update dag set is_paused = 1 where dag_id = 'x'").run();
    console.log('locked');
    process.stdin.once('data', () => { db.exec('commit'); console.log('committed'); process.exit(0); });`;
  return spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
}

describe('store transactions (SQLite, real processes contending)', () => {
  it("a write waiting for another process's lock does not block this process's event loop, and lands once the lock is free", async () => {
    const home = tempDir();
    const store = await openStoreWithPlugins({ home });
    const holder = lockHolder(join(home, 'updraft.db'));
    try {
      await once(holder.stdout, 'data');
      const written = store.write(async (tx) =>
        tx.insertInto('import_error').values({ filename: 'f.ts', message: 'm', timestamp: 'now' }).execute(),
      );
      // Only a free event loop can tell the holder to commit: SQLite's own busy
      // handler would sleep inside the statement until its timeout and fail.
      await new Promise<void>((resolve) => setImmediate(resolve));
      holder.stdin.write('commit\n');
      await written;
      const rows = await store.db.selectFrom('import_error').selectAll().execute();
      assert.deepEqual(
        rows.map((r) => r.filename),
        ['f.ts'],
      );
    } finally {
      holder.kill();
      await store.close();
    }
  });

  it('batched writes share a transaction, yet one that throws is rolled back alone and only its caller sees the error', async () => {
    const store = await openStoreWithPlugins({ home: tempDir() });
    try {
      const write = (name: string, fail: boolean) =>
        store.batch(async ({ store: tx }) => {
          await tx.db.insertInto('import_error').values({ filename: name, message: 'm', timestamp: 'now' }).execute();
          if (fail) throw new Error(`${name} failed`);
          return name;
        });
      const results = await Promise.allSettled(['a.ts', 'b.ts', 'c.ts', 'd.ts'].map((name) => write(name, name === 'c.ts')));
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
        ['a.ts', 'b.ts', 'c.ts failed', 'd.ts'],
      );
      const rows = await store.db.selectFrom('import_error').select('filename').orderBy('filename').execute();
      assert.deepEqual(
        rows.map((r) => r.filename),
        ['a.ts', 'b.ts', 'd.ts'],
      );
      // A write alone in its turn of the loop fails alone too.
      await assert.rejects(write('e.ts', true), /e\.ts failed/);
      assert.equal(await write('f.ts', false), 'f.ts');
      const after = await store.db.selectFrom('import_error').select('filename').orderBy('filename').execute();
      assert.deepEqual(
        after.map((r) => r.filename),
        ['a.ts', 'b.ts', 'd.ts', 'f.ts'],
      );
    } finally {
      await store.close();
    }
  });

  it('atomically: a pass whose snapshot went stale (another process committed first) runs again holding the lock, and both writes land', async () => {
    const home = tempDir();
    const store = await openStoreWithPlugins({ home });
    await store.db
      .insertInto('dag')
      .values({ dag_id: 'x', fileloc: 'f', fingerprint: 'p', is_paused: 0, is_active: 1, spec: '{}', last_parsed_at: 'now' })
      .execute();
    const holder = lockHolder(join(home, 'updraft.db'));
    try {
      await once(holder.stdout, 'data');
      let passes = 0;
      const seen = await store.atomically(async (tx) => {
        passes++;
        const before = await tx.dags.get('x');
        if (passes === 1) setImmediate(() => holder.stdin.write('commit\n'));
        await tx.importErrors.replaceAll([{ filename: 'pass.ts', message: `pass ${passes}` }], new Date());
        return before?.isPaused;
      });
      assert.equal(passes, 2, 'the first pass read a snapshot the other process then changed');
      assert.equal(seen, true, "the second pass saw the other process's write");
      assert.deepEqual(
        (await store.importErrors.list()).map((e) => e.message),
        ['pass 2'],
      );
    } finally {
      holder.kill();
      await store.close();
    }
  });
});
