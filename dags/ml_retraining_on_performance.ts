/**
 * Retrain when the production model's measured accuracy drops: labelled
 * predictions of the last 7 days (at least 100 labels) below 0.85.
 *
 *   check_performance (short-circuit) → claim_retrain → train_model → validate → deploy_model
 */
import { dag } from 'updraft';
import { addRetrainingTasks, performanceTrigger, RETRAINING_PARAMS } from 'updraft/ml/pipeline';

const pipeline = dag({
  dagId: 'ml_retraining_on_performance',
  description: 'Retrain when measured accuracy on labelled predictions drops below the threshold',
  tags: ['ml', 'retraining', 'performance'],
  schedule: '@hourly',
  startDate: '2026-06-01',
  catchup: false,
  // Runs of several models go side by side; claim_retrain keeps one retrain per model per cooldown.
  maxActiveRuns: 8,
  params: { ...RETRAINING_PARAMS, window_days: 7, min_labels: 100 },
  defaultArgs: { owner: 'ml_team', retries: 2, retryDelay: '5m' },
});

addRetrainingTasks(pipeline, performanceTrigger(pipeline), 'performance');

export default pipeline;
