import { join } from 'node:path';
import { writeChurnData } from '../../ml/demo/synthetic-data.ts';
import { REPO, runCli, tempDir } from './cli.ts';

/** The repository's DAG folder, where the retraining pipelines live. */
export const DAGS = join(REPO, 'dags');

/**
 * Small data and 10 trees keep the suite quick; ml-random-forest then reaches
 * ~0.76 accuracy, so the mechanics tests lower the gate (the rejection test raises it).
 */
export const FAST = { trees: 10, min_accuracy: 0.7, min_precision: 0.7 };

/** A fresh UPDRAFT_HOME holding synthetic churn data (drifted unless told otherwise). */
export function churnHome(drift = true): string {
  const dir = tempDir('updraft-ml-');
  writeChurnData(join(dir, 'data', 'churn'), { drift, rows: 600 });
  return dir;
}

export interface PipelineResult {
  state: string;
  run_id: string;
  task_instances: Array<{ task_id: string; state: string; try_number: number; error: string | null }>;
}

/** `task_id#try` → state. */
export const taskStates = (r: PipelineResult): Record<string, string> =>
  Object.fromEntries(r.task_instances.map((t) => [`${t.task_id}#${t.try_number}`, t.state]));

/** `updraft dags test <dagId>` of a retraining pipeline with FAST laid under `conf`. */
export async function pipelineDagsTest(
  env: Record<string, string>,
  conf: Record<string, unknown>,
  dagId = 'ml_retraining_pipeline',
): Promise<{ result: PipelineResult; code: number }> {
  const r = await runCli(
    [
      '--dags-folder',
      DAGS,
      'dags',
      'test',
      dagId,
      '--conf',
      JSON.stringify({ ...FAST, ...conf }),
      '--output',
      'json',
      '--retry-delay-scale',
      '0',
    ],
    env,
  );
  return { result: JSON.parse(r.stdout) as PipelineResult, code: r.code };
}
