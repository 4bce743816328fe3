import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../engine/store/store.ts';
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

describe('store locking (SQLite)', () => {
  it("a write waiting for another process's lock does not block this process's event loop, and lands once the lock is free", async () => {
    const home = tempDir();
    const store = await Store.open({ home });
    const holder = lockHolder(join(home, 'updraft.db'));
    try {
      await once(holder.stdout, 'data');
      const written = store.write(async (tx) => tx.insertInto('import_error').values({ filename: 'f.ts', message: 'm', timestamp: 'now' }).execute());
      // Only a free event loop can tell the holder to commit: SQLite's own busy
      // handler would sleep inside the statement until its timeout and fail.
      await new Promise<void>((resolve) => setImmediate(resolve));
      holder.stdin.write('commit\n');
      await written;
      const rows = await store.db.selectFrom('import_error').selectAll().execute();
      assert.deepEqual(rows.map((r) => r.filename), ['f.ts']);
    } finally {
      holder.kill();
      await store.close();
    }
  });
});
