import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';

/**
 * Registry versions and tracking runs refer to artifacts by URI: `artifact_path`
 * becomes `artifact_uri`, and the absolute paths written before become `file://`
 * URIs. This is the ML half of engine migration 009-artifacts, moved here
 * unchanged when the ML tables became the ML plugin's (issue 13.7). A store that
 * ran the whole 009 before that has no `artifact_path` left, and this does nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = await db.introspection.getTables();
  const hasPath = (table: string): boolean => tables.some((t) => t.name === table && t.columns.some((c) => c.name === 'artifact_path'));
  for (const table of ['tracking_run', 'model_version'] as const) {
    if (!hasPath(table)) continue;
    await db.schema.alterTable(table).renameColumn('artifact_path', 'artifact_uri').execute();
    const typed = db as Kysely<Record<typeof table, { artifact_uri: string | null }>>;
    const paths = await typed.selectFrom(table).select('artifact_uri').distinct().where('artifact_uri', 'like', '/%').execute();
    for (const { artifact_uri: path } of paths) {
      await typed
        .updateTable(table)
        .set({ artifact_uri: pathToFileURL(path!).href })
        .where('artifact_uri', '=', path)
        .execute();
    }
  }
}
