import { randomUUID } from 'node:crypto';
import type { MlStore } from '../store/schema.ts';

export interface TrackingRun {
  runId: string;
  experiment: string;
  status: 'finished' | 'failed';
  startedAt: string;
  endedAt: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  /** The model, as an artifact-store URI. */
  artifactUri: string | null;
  dataSha256: string | null;
  featureNames: string[];
  target: string | null;
  nTrain: number | null;
  nTest: number | null;
  error: string | null;
}

/** Experiment tracking: every training run with its params, metrics, artifact and data fingerprint. */
export class TrackingStore {
  constructor(private readonly store: MlStore) {}

  newRunId(): string {
    return randomUUID();
  }

  async record(run: TrackingRun): Promise<void> {
    await this.store.db
      .insertInto('tracking_run')
      .values({
        run_id: run.runId,
        experiment: run.experiment,
        status: run.status,
        started_at: run.startedAt,
        ended_at: run.endedAt,
        params: JSON.stringify(run.params),
        metrics: JSON.stringify(run.metrics),
        artifact_uri: run.artifactUri,
        data_sha256: run.dataSha256,
        feature_names: JSON.stringify(run.featureNames),
        target: run.target,
        n_train: run.nTrain,
        n_test: run.nTest,
        error: run.error,
      })
      .execute();
  }

  async list(experiment?: string): Promise<TrackingRun[]> {
    let q = this.store.db.selectFrom('tracking_run').selectAll().orderBy('started_at');
    if (experiment) q = q.where('experiment', '=', experiment);
    return (await q.execute()).map((r) => ({
      runId: r.run_id,
      experiment: r.experiment,
      status: r.status as TrackingRun['status'],
      startedAt: r.started_at,
      endedAt: r.ended_at ?? r.started_at,
      params: JSON.parse(r.params) as Record<string, unknown>,
      metrics: JSON.parse(r.metrics) as Record<string, number>,
      artifactUri: r.artifact_uri,
      dataSha256: r.data_sha256,
      featureNames: JSON.parse(r.feature_names ?? '[]') as string[],
      target: r.target,
      nTrain: r.n_train,
      nTest: r.n_test,
      error: r.error,
    }));
  }
}
