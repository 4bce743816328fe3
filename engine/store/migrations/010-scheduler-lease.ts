import type { Kysely } from 'kysely';

/**
 * Which scheduler is the active one on a SQLite store (one writer host, so
 * one active scheduler; others stand by). On PostgreSQL every scheduler is
 * active and row locks divide the work; the table stays empty there.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scheduler_lease')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}
