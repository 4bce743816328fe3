import { pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';

/**
 * The artifact store's PostgreSQL backend (ARCHITECTURE decision 10): one row
 * per artifact with its SHA-256, its bytes in ordered chunks. The tables are
 * created on SQLite too, where they stay empty: a SQLite store keeps its
 * artifacts in a directory.
 *
 * Registry versions and tracking runs now refer to artifacts by URI:
 * `artifact_path` becomes `artifact_uri`, and the absolute paths written
 * before become `file://` URIs.
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

  for (const table of ['tracking_run', 'model_version'] as const) {
    await db.schema.alterTable(table).renameColumn('artifact_path', 'artifact_uri').execute();
    const typed = db as Kysely<Record<typeof table, { artifact_uri: string | null }>>;
    const paths = await typed.selectFrom(table).select('artifact_uri').distinct().where('artifact_uri', 'like', '/%').execute();
    for (const { artifact_uri: path } of paths) {
      await typed.updateTable(table).set({ artifact_uri: pathToFileURL(path!).href }).where('artifact_uri', '=', path).execute();
    }
  }
}
