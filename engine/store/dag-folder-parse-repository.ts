import { hostname } from 'node:os';
import type { Db } from './database.ts';

/** Who parsed a DAG folder: the scheduler's DAG processor, or an explicit `updraft dags reserialize` (or a CLI command doing one on demand). */
export type FolderParser = 'scheduler' | 'reserialize';

export interface DagFolderParseRecord {
  folder: string;
  parsedAt: string;
  parsedBy: FolderParser;
  hostname: string;
  durationMs: number;
  dagCount: number;
  importErrorCount: number;
}

/**
 * The last parse of each DAG folder. Readers show it (ADR 12, docs/adr/0012-readers-read-the-store.md: they read
 * what the DAG processor wrote) and use its absence to tell a folder nobody
 * has parsed yet from one that simply has no DAGs.
 */
export class DagFolderParseRepository {
  constructor(private readonly db: Db) {}

  async record(parse: Omit<DagFolderParseRecord, 'hostname'>): Promise<void> {
    const row = {
      folder: parse.folder,
      parsed_at: parse.parsedAt,
      parsed_by: parse.parsedBy,
      hostname: hostname(),
      duration_ms: parse.durationMs,
      dag_count: parse.dagCount,
      import_error_count: parse.importErrorCount,
    };
    const { folder: _, ...update } = row;
    await this.db
      .insertInto('dag_folder_parse')
      .values(row)
      .onConflict((oc) => oc.column('folder').doUpdateSet(update))
      .execute();
  }

  async get(folder: string): Promise<DagFolderParseRecord | undefined> {
    const row = await this.db.selectFrom('dag_folder_parse').selectAll().where('folder', '=', folder).executeTakeFirst();
    return (
      row && {
        folder: row.folder,
        parsedAt: row.parsed_at,
        parsedBy: row.parsed_by as FolderParser,
        hostname: row.hostname,
        durationMs: row.duration_ms,
        dagCount: row.dag_count,
        importErrorCount: row.import_error_count,
      }
    );
  }
}
