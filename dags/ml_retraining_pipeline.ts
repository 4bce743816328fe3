/**
 * Automated retraining of a production model.
 *
 * check_drift decides (a branch): when the current data has drifted from the
 * reference, train_model → deploy_model run; when it has not, both are
 * skipped. PLACEHOLDER bodies until the ML issue lands: drift is read from the
 * run conf (`{"drift": true}`) and training/deploy only log what they would do.
 */
import { dag } from 'updraft';

const pipeline = dag({
  dagId: 'ml_retraining_pipeline',
  description: 'Retrain the model when its input data drifts; deploy the new version',
  tags: ['ml', 'retraining'],
  schedule: '@daily',
  startDate: '2026-06-01',
  catchup: false,
  params: { model: 'churn', drift: true },
  defaultArgs: { owner: 'ml_team', retries: 2, retryDelay: '5m' },
});

const checkDrift = pipeline.branch('check_drift', (ctx) => {
  const drifted = Boolean(ctx.params.drift);
  ctx.log.info(`PLACEHOLDER drift check for model ${String(ctx.params.model)}: drift=${drifted}`);
  return drifted ? 'train_model' : null;
});

const trainModel = pipeline.task('train_model', (ctx) => {
  ctx.log.info(`PLACEHOLDER training ${String(ctx.params.model)}`);
  return { model: String(ctx.params.model), version: 1, accuracy: 0.9 };
});

const deployModel = pipeline.task('deploy_model', (ctx) => {
  const trained = ctx.xcom(trainModel);
  ctx.log.info(`PLACEHOLDER deploying ${trained.model} v${trained.version} (accuracy ${trained.accuracy})`);
  return { deployed: `${trained.model}@${trained.version}` };
});

checkDrift.to(trainModel).to(deployModel);

export default pipeline;
