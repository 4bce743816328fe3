/**
 * Retrain on a schedule: weekly, when the last successful retrain (the newest
 * registered version) is older than `max_age_days`.
 *
 *   check_schedule (short-circuit) → claim_retrain → train_model → validate → deploy_model
 */
import { dag } from 'updraft';
import { addRetrainingTasks, RETRAINING_PARAMS, scheduleTrigger } from 'updraft/ml/pipeline';

const pipeline = dag({
  dagId: 'ml_retraining_scheduled',
  description: 'Retrain when the last successful retrain is older than max_age_days',
  tags: ['ml', 'retraining', 'schedule'],
  schedule: '@weekly',
  startDate: '2026-06-01',
  catchup: false,
  // Runs of several models go side by side; claim_retrain keeps one retrain per model per cooldown.
  maxActiveRuns: 8,
  params: RETRAINING_PARAMS,
  defaultArgs: { owner: 'ml_team', retries: 2, retryDelay: '5m' },
});

addRetrainingTasks(pipeline, scheduleTrigger(pipeline), 'schedule');

export default pipeline;
