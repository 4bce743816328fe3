/**
 * Automated retraining of a production model when its input data drifts.
 *
 *   check_drift (branch) → claim_retrain → train_model → validate → deploy_model
 *
 * check_drift compares the current production sample with the training-time
 * reference (a test per column picked as Evidently does, p-values corrected
 * across columns) and fires when at least half the columns drifted; no drift
 * skips the rest. claim_retrain
 * takes the model's retrain claim in the store, or merges the trigger into the
 * retrain that started within the cooldown (`retrain_cooldown_minutes`, 60)
 * and skips the rest, so drift, performance, estimated performance and
 * schedule triggers of one model start one retrain. train_model
 * fits a random forest on fresh data; validate checks absolute thresholds and
 * the current champion on the same holdout; deploy_model registers, promotes
 * (atomically) and deploys. Model name and paths come from params / run conf:
 *   updraft dags trigger ml_retraining_pipeline --conf '{"model": "fraud", "data_dir": "/data/fraud"}'
 */
import { dag } from 'updraft';
import { addRetrainingTasks, driftTrigger, RETRAINING_PARAMS } from 'updraft/ml/pipeline';

const pipeline = dag({
  dagId: 'ml_retraining_pipeline',
  description: 'Retrain, validate and deploy the model when its input data drifts',
  tags: ['ml', 'retraining', 'drift'],
  schedule: '@daily',
  startDate: '2026-06-01',
  catchup: false,
  // Runs of several models go side by side; claim_retrain keeps one retrain per model per cooldown.
  maxActiveRuns: 8,
  params: RETRAINING_PARAMS,
  defaultArgs: { owner: 'ml_team', retries: 2, retryDelay: '5m' },
});

addRetrainingTasks(pipeline, driftTrigger(pipeline), 'drift');

export default pipeline;
