import { schemaOf, type FeatureSchema } from '../training/feature-schema.ts';
import type { TrainResult } from '../training/train-model.ts';
import type { StoredGateDecision } from './gate-decisions.ts';

/** Where a version was trained: the DAG run and the fingerprint of the DAG file that ran (null from `models train`). */
export interface TrainingProvenance {
  dag_id: string;
  run_id: string;
  /** The DAG file and its content fingerprint as the store knew them when the model was trained (null when never serialized). */
  file: string | null;
  fingerprint: string | null;
}

/**
 * Everything needed to say how a model version came to be, pinned when the
 * version is registered and never changed after (snake_case: it is shown as is).
 */
export interface ModelVersionRecord {
  model_uri: string;
  tracking_run_id: string;
  dag: TrainingProvenance | null;
  /** `training_rows_uri`: fingerprints of the rows trained on (absent from records pinned before they were kept). */
  data: { uri: string; sha256: string; n_train: number; n_test: number; training_rows_uri?: string };
  /** Enforced when this version is the champion being retrained (see ml/training/feature-schema.ts). */
  feature_schema: FeatureSchema;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  /** The validation gate's decision for this version (null when registered without one, e.g. `models train`). */
  gate: StoredGateDecision | null;
  /** The probability calibrator fitted on the training holdout. */
  calibrator: { uri: string; method: 'isotonic'; fitted_on: 'holdout'; rows: number } | null;
}

export function versionRecord(trained: TrainResult, dag: TrainingProvenance | null, gate: StoredGateDecision | null): ModelVersionRecord {
  return {
    model_uri: trained.artifactUri,
    tracking_run_id: trained.runId,
    dag,
    data: {
      uri: trained.dataUri,
      sha256: trained.dataSha256,
      n_train: trained.nTrain,
      n_test: trained.nTest,
      training_rows_uri: trained.trainingRowsUri,
    },
    feature_schema: schemaOf(trained),
    params: trained.params,
    metrics: trained.metrics,
    gate,
    calibrator: { uri: trained.calibratorUri, method: 'isotonic', fitted_on: 'holdout', rows: trained.nTest },
  };
}
