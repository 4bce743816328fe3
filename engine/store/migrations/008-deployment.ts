import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';

/**
 * The deployment's identity (ADR 11, docs/adr/0011-a-deployment-has-an-identity.md), created with the
 * store: every job carries it, and a worker whose store has another one
 * refuses the job instead of swallowing it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployment')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await (db as Kysely<{ deployment: { id: string; created_at: string } }>)
    .insertInto('deployment')
    .values({ id: randomUUID().replaceAll('-', ''), created_at: new Date().toISOString() })
    .execute();
}
