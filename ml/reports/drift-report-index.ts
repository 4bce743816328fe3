import type { MlStore } from '../store/schema.ts';

/** One stored drift report of a model: where its artifact is and its verdict. */
export interface DriftReportEntry {
  artifactUri: string;
  model: string;
  dagId: string;
  runId: string;
  createdAt: string;
  drift: boolean;
  columns: number;
  driftedColumns: number;
}

/**
 * The store's index of drift reports (the reports are artifacts, any host
 * reads them): the pipeline records each one it writes, the webserver lists
 * a model's reports from here.
 */
export class DriftReportIndex {
  constructor(private readonly store: MlStore) {}

  async record(
    entry: {
      artifactUri: string;
      model: string;
      dagId: string;
      runId: string;
      report: { drift: boolean; columns: ReadonlyArray<{ drifted: boolean }> };
    },
    now = new Date(),
  ): Promise<void> {
    const row = {
      artifact_uri: entry.artifactUri,
      model: entry.model,
      dag_id: entry.dagId,
      run_id: entry.runId,
      created_at: now.toISOString(),
      drift: entry.report.drift ? 1 : 0,
      columns: entry.report.columns.length,
      drifted_columns: entry.report.columns.filter((c) => c.drifted).length,
    };
    // A retried check_drift rewrites the same artifact key: the newest verdict wins.
    await this.store.db
      .insertInto('drift_report')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('artifact_uri')
          .doUpdateSet({ created_at: row.created_at, drift: row.drift, columns: row.columns, drifted_columns: row.drifted_columns }),
      )
      .execute();
  }

  /** A model's drift reports, newest first. */
  async list(model: string, limit = 100): Promise<DriftReportEntry[]> {
    const rows = await this.store.db
      .selectFrom('drift_report')
      .selectAll()
      .where('model', '=', model)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      artifactUri: r.artifact_uri,
      model: r.model,
      dagId: r.dag_id,
      runId: r.run_id,
      createdAt: r.created_at,
      drift: Number(r.drift) === 1,
      columns: Number(r.columns),
      driftedColumns: Number(r.drifted_columns),
    }));
  }
}
