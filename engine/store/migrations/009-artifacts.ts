import { sql, type Kysely } from 'kysely';

/**
 * The artifact store's PostgreSQL backend (ADR 10, docs/adr/0010-hosts-share-only-redis-store-and-artifacts.md): one row
 * per artifact with its SHA-256, its bytes in ordered chunks. The tables are
 * created on SQLite too, where they stay empty: a SQLite store keeps its
 * artifacts in a directory.
 *
 * Until issue 13.7 this migration also renamed the ML tables' `artifact_path`
 * to `artifact_uri` (absolute paths becoming `file://` URIs). The ML tables now
 * come from the ML plugin, so that half moved, unchanged, to the plugin's
 * migration 017-model-artifact-uri, which does nothing on a store this one
 * already converted. The statements left here are those that shipped, unchanged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The dialect, without running anything: PostgreSQL numbers its placeholders.
  const postgres = sql`select ${1}`.compile(db).sql.includes('$1');
  await db.schema
    .createTable('artifact')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('chunk_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('artifact_chunk')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('artifact_chunk_pk', ['key', 'seq'])
    .execute();
}
