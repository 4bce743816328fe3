/**
 * Retrain when the production model's accuracy, estimated without labels,
 * drops: labels arrive late, calibrated vote shares do not. The newest chunk
 * of 1,000 scored production predictions (last 7 days) estimated below 0.85
 * (confidence-based performance estimation with the calibrator pinned to the
 * version). Blind to concept drift: ml_retraining_on_performance still
 * checks the labelled accuracy for that.
 *
 *   check_estimated_performance (short-circuit) → train_model → validate → deploy_model
 */
import { dag } from 'updraft';
import { addRetrainingTasks, estimatedPerformanceTrigger, RETRAINING_PARAMS } from 'updraft/ml/pipeline';

const pipeline = dag({
  dagId: 'ml_retraining_on_estimated_performance',
  description: 'Retrain when accuracy estimated on unlabelled predictions drops below the threshold',
  tags: ['ml', 'retraining', 'performance'],
  schedule: '@hourly',
  startDate: '2026-06-01',
  catchup: false,
  maxActiveRuns: 8, // several models side by side; claim_retrain keeps one retrain per model
  params: { ...RETRAINING_PARAMS, window_days: 7 },
  defaultArgs: { owner: 'ml_team', retries: 2, retryDelay: '5m' },
});

addRetrainingTasks(pipeline, estimatedPerformanceTrigger(pipeline), 'estimated_performance');

export default pipeline;
