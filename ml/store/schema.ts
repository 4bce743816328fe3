import type { Generated, Kysely } from 'kysely';
import type { EngineDatabase, PluginStore } from '../../engine/plugin-api.ts';

/** The ML plugin's tables (its migrations, ml/store/migrations/), beside the engine's {@link EngineDatabase}. Timestamps are ISO-8601 UTC strings; JSON columns are text. */
export interface MlDatabase {
  tracking_run: TrackingRunTable;
  registered_model: RegisteredModelTable;
  model_version: ModelVersionTable;
  model_alias: ModelAliasTable;
  gate_decision: GateDecisionTable;
  production_history: ProductionHistoryTable;
  prediction: PredictionTable;
  retrain_claim: RetrainClaimTable;
  drift_report: DriftReportTable;
  retrain_log: RetrainLogTable;
}

/**
 * The store's connection, or an open transaction of it, typed with the ML tables. The engine's
 * are in the type (ML reads none) so that the engine's connection is one as it is.
 */
export type MlDb = Kysely<EngineDatabase & MlDatabase>;

/** The store as the ML plugin sees it (the engine's `Store` is one). */
export type MlStore = PluginStore<EngineDatabase & MlDatabase>;

export interface TrackingRunTable {
  run_id: string;
  experiment: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  params: string;
  metrics: string;
  /** an artifact-store URI (engine migration 009, now 017; before it, a local path) */
  artifact_uri: string | null;
  data_sha256: string | null;
  feature_names: string | null;
  target: string | null;
  n_train: number | null;
  n_test: number | null;
  error: string | null;
}

export interface RegisteredModelTable {
  name: string;
  created_at: string;
}

export interface ModelVersionTable {
  name: string;
  version: number;
  stage: string;
  tracking_run_id: string | null;
  /** an artifact-store URI (engine migration 009, now 017; before it, a local path) */
  artifact_uri: string;
  metrics: string;
  created_at: string;
  /** the version's pinned record, JSON (migration 013; null before it) */
  record: string | null;
}

/** One validation-gate decision, passed or not (migration 013); `decision` is its JSON. */
export interface GateDecisionTable {
  id: string;
  name: string;
  candidate_run_id: string;
  champion_version: number | null;
  passed: number;
  decided_at: string;
  dag_run_id: string | null;
  decision: string;
}

export interface ModelAliasTable {
  name: string;
  alias: string;
  version: number;
}

export interface ProductionHistoryTable {
  name: string;
  seq: number;
  version: number;
  started_at: string;
  ended_at: string | null;
  reason: string;
}

export interface PredictionTable {
  id: string;
  model: string;
  model_version: number;
  prediction: string;
  score: number | null;
  actual: string | null;
  timestamp: string;
  labelled_at: string | null;
}

/** The retrain owning a model's cooldown (migration 014, ml/pipeline/retrain-coalescer.ts). */
export interface RetrainClaimTable {
  model: string;
  dag_id: string;
  run_id: string;
  claimed_at: string;
  cooldown_until: string;
  /** JSON array of merged triggers, the claiming one first */
  triggers: string;
}

/** Where a model's drift report artifacts are (migration 015). */
export interface DriftReportTable {
  artifact_uri: string;
  model: string;
  dag_id: string;
  run_id: string;
  created_at: string;
  /** 0 / 1 */
  drift: number;
  columns: number;
  drifted_columns: number;
}

/** One retrain-log line (migration 020); see ml/retrain-log.ts. */
export interface RetrainLogTable {
  id: Generated<number>;
  timestamp: string;
  model: string;
  trigger: string;
  decision: string;
  success: number;
  /** JSON */
  metrics: string | null;
  error: string | null;
  dag_run_id: string | null;
  version: number | null;
  reason: string | null;
  artifact_uri: string | null;
  /** JSON */
  merged_triggers: string | null;
}
