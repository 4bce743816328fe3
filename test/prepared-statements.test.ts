import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { executePrepared, preparedName } from '../engine/store/prepared-statements.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';

// The hot path's statements run as named prepared statements on PostgreSQL
// (engine/store/prepared-statements.ts): parsed and planned once per connection.

const available = await postgresAnswers();
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

describe('PostgreSQL: prepared statements on the hot path', { skip: available ? false : `no PostgreSQL answers at ${ADMIN_URL}` }, () => {
  let database: ThrowawayDatabase;
  let store: Store;
  before(async () => {
    database = await throwawayDatabase();
    // One connection: what one statement prepared, the next one sees.
    store = await openStoreWithPlugins({ home: tempDir(), url: database.url, poolSize: 1 });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  const deployment = () => sql<{ id: string; extra?: string | null }>`select * from deployment where id = ${store.deploymentId}`;

  it('runs a registered text under its name, and other statements unnamed', async () => {
    const { rows } = await executePrepared(store.db, deployment());
    assert.equal(rows[0]?.id, store.deploymentId);
    const name = preparedName(deployment().compile(store.db).sql);
    assert.ok(name, 'the text was registered');
    const prepared = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(store.db);
    assert.deepEqual(
      prepared.rows.map((r) => r.name),
      [name],
    );
  });

  it('parses a statement again when a migration changed the columns under its cached plan', async () => {
    await executePrepared(store.db, deployment());
    await sql`alter table deployment add column extra text`.execute(store.db);
    const { rows } = await executePrepared(store.db, deployment());
    assert.equal(rows[0]?.id, store.deploymentId);
    assert.ok('extra' in rows[0]!, 'the row has the new column');
  });
});
