import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../models/errors.ts';
import { inDagOrder, taskInstanceRow } from '../../operations/rows.ts';
import type { Store } from '../../store/store.ts';
import { findDag } from './dags.ts';
import { findRun } from './dag-runs.ts';
import { logParams, runParams, taskParams, type LogParams, type RunParams, type TaskParams } from './schemas.ts';

export function taskInstanceRoutes(app: FastifyInstance, store: Store): void {
  /** Latest try of every task of a run, in DAG order (Airflow's list endpoint). */
  app.get<{ Params: RunParams }>('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances', { schema: { params: runParams } }, async (request) => {
    const run = await findRun(store, request.params.dag_id, request.params.dag_run_id);
    const { spec } = await findDag(store, run.dagId);
    const latest = inDagOrder([...(await store.tasks.latestTries(run.dagId, run.runId)).values()], spec);
    return { task_instances: latest.map(taskInstanceRow), total_entries: latest.length };
  });

  app.get<{ Params: TaskParams }>('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id', { schema: { params: taskParams } }, async (request) => {
    const tries = await triesOf(store, request.params);
    return taskInstanceRow(tries.at(-1)!);
  });

  /** Every try of one task, oldest first, each with its own state, times, worker and error. */
  app.get<{ Params: TaskParams }>('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/tries', { schema: { params: taskParams } }, async (request) => {
    const tries = await triesOf(store, request.params);
    return { task_instances: tries.map(taskInstanceRow), total_entries: tries.length };
  });

  /** The log of one try: JSON `{ content }`, or the text itself for `Accept: text/plain`. */
  app.get<{ Params: LogParams }>('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/logs/:try_number', { schema: { params: logParams } }, async (request, reply) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId, try_number: tryNumber } = request.params;
    const tries = await triesOf(store, request.params);
    if (!tries.some((t) => t.tryNumber === tryNumber)) throw new NotFoundError(`task '${taskId}' of run '${runId}' has no try ${tryNumber}`);
    const content = await store.logs.read({ dagId, runId, taskId, tryNumber });
    if (request.headers.accept?.startsWith('text/plain')) return reply.type('text/plain; charset=utf-8').send(content);
    return { dag_id: dagId, dag_run_id: runId, task_id: taskId, try_number: tryNumber, content };
  });
}

async function triesOf(store: Store, params: TaskParams) {
  const run = await findRun(store, params.dag_id, params.dag_run_id);
  const tries = (await store.tasks.allTries(run.dagId, run.runId)).filter((t) => t.taskId === params.task_id).sort((a, b) => a.tryNumber - b.tryNumber);
  if (tries.length === 0) throw new NotFoundError(`run '${run.runId}' of DAG '${run.dagId}' has no task '${params.task_id}'`);
  return tries;
}
