import type { Db } from './database.ts';
import type { DagSpec } from '../models/dag-spec.ts';

/** Where a DAG's file is: as the parsing host saw it, and inside its DAG folder (what another host resolves against its own). */
export interface DagFileLocation {
  fileloc: string;
  relativeFileloc: string | null;
}

export interface DagRow extends DagFileLocation {
  dagId: string;
  fingerprint: string;
  isPaused: boolean;
  isActive: boolean;
  spec: DagSpec;
  lastParsedAt: string;
}

export class DagRepository {
  constructor(private readonly db: Db) {}

  /** Records a parsed DAG; a new one starts paused when `pausedIfNew`, a known one keeps its paused flag. */
  async upsert(spec: DagSpec, location: DagFileLocation, fingerprint: string, parsedAt: string, pausedIfNew = false): Promise<void> {
    const values = {
      fileloc: location.fileloc,
      relative_fileloc: location.relativeFileloc,
      fingerprint,
      spec: JSON.stringify(spec),
      last_parsed_at: parsedAt,
      is_active: 1,
    };
    await this.db
      .insertInto('dag')
      .values({ dag_id: spec.dagId, is_paused: pausedIfNew ? 1 : 0, ...values })
      .onConflict((oc) => oc.column('dag_id').doUpdateSet(values))
      .execute();
  }

  /** Marks DAGs whose file is gone (or no longer defines them) inactive. */
  async deactivateExcept(activeDagIds: readonly string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('dag').select('dag_id').where('is_active', '=', 1).execute();
    const gone = rows.map((r) => r.dag_id).filter((id) => !activeDagIds.includes(id));
    if (gone.length > 0) await this.db.updateTable('dag').set({ is_active: 0 }).where('dag_id', 'in', gone).execute();
    return gone;
  }

  async get(dagId: string): Promise<DagRow | undefined> {
    const row = await this.db.selectFrom('dag').selectAll().where('dag_id', '=', dagId).executeTakeFirst();
    return row && toDagRow(row);
  }

  /** Where a DAG's file is, without reading its spec (a worker's per-task lookup). */
  async location(dagId: string): Promise<(DagFileLocation & { fingerprint: string }) | undefined> {
    const row = await this.db
      .selectFrom('dag')
      .select(['fileloc', 'relative_fileloc', 'fingerprint'])
      .where('dag_id', '=', dagId)
      .executeTakeFirst();
    return row && { fileloc: row.fileloc, relativeFileloc: row.relative_fileloc, fingerprint: row.fingerprint };
  }

  /** Paused / active flags of every DAG, without their specs (the scheduler's per-tick read). */
  async flags(): Promise<Array<{ dagId: string; isPaused: boolean; isActive: boolean }>> {
    const rows = await this.db.selectFrom('dag').select(['dag_id', 'is_paused', 'is_active']).execute();
    return rows.map((r) => ({ dagId: r.dag_id, isPaused: r.is_paused === 1, isActive: r.is_active === 1 }));
  }

  async list(options: { activeOnly?: boolean } = {}): Promise<DagRow[]> {
    let query = this.db.selectFrom('dag').selectAll().orderBy('dag_id');
    if (options.activeOnly) query = query.where('is_active', '=', 1);
    return (await query.execute()).map(toDagRow);
  }

  /**
   * PostgreSQL: locks the DAG's row for this transaction unless another
   * scheduler holds it (`FOR UPDATE SKIP LOCKED`, Airflow 2's HA scheduler):
   * false means someone else is creating and starting its runs right now.
   * SQLite has one active scheduler and no row locks: always true.
   */
  async lockForScheduling(dagId: string, dialect: 'sqlite' | 'postgres'): Promise<boolean> {
    if (dialect === 'sqlite') return true;
    const row = await this.db.selectFrom('dag').select('dag_id').where('dag_id', '=', dagId).forUpdate().skipLocked().executeTakeFirst();
    return row !== undefined;
  }

  /** Returns false when the DAG is unknown. */
  async setPaused(dagId: string, paused: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable('dag')
      .set({ is_paused: paused ? 1 : 0 })
      .where('dag_id', '=', dagId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toDagRow(row: {
  dag_id: string;
  fileloc: string;
  relative_fileloc: string | null;
  fingerprint: string;
  is_paused: number;
  is_active: number;
  spec: string;
  last_parsed_at: string;
}): DagRow {
  return {
    dagId: row.dag_id,
    fileloc: row.fileloc,
    relativeFileloc: row.relative_fileloc,
    fingerprint: row.fingerprint,
    isPaused: row.is_paused === 1,
    isActive: row.is_active === 1,
    spec: JSON.parse(row.spec) as DagSpec,
    lastParsedAt: row.last_parsed_at,
  };
}
