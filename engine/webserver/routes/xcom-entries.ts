import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../models/errors.ts';
import { withValue, xcomEntries, xcomEntry } from '../../operations/xcom-entries.ts';
import type { Store } from '../../store/store.ts';
import { findRun } from './dag-runs.ts';
import { taskParams, type TaskParams } from './schemas.ts';

const ENTRIES = '/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries';

/** Airflow's xcomEntries: a task's XComs in a run, and one with its value (an offloaded one read from the artifact store). */
export function xcomEntryRoutes(app: FastifyInstance, store: Store): void {
  const findTask = async (params: TaskParams): Promise<void> => {
    const { dag } = await findRun(store, params.dag_id, params.dag_run_id);
    if (!dag.spec.tasks.some((t) => t.taskId === params.task_id))
      throw new NotFoundError(`DAG '${params.dag_id}' has no task '${params.task_id}'`);
  };

  app.get<{ Params: TaskParams }>(ENTRIES, { schema: { params: taskParams } }, async (request) => {
    await findTask(request.params);
    const entries = await xcomEntries(store, request.params.dag_id, request.params.dag_run_id, request.params.task_id);
    return { xcom_entries: entries, total_entries: entries.length };
  });

  app.get<{ Params: TaskParams & { xcom_key: string } }>(
    `${ENTRIES}/:xcom_key`,
    {
      schema: {
        params: {
          ...taskParams,
          required: [...taskParams.required, 'xcom_key'],
          properties: { ...taskParams.properties, xcom_key: { type: 'string', minLength: 1, maxLength: 512 } },
        },
      },
    },
    async (request, reply) => {
      await findTask(request.params);
      const { row, json } = await xcomEntry(
        store,
        request.params.dag_id,
        request.params.dag_run_id,
        request.params.task_id,
        request.params.xcom_key,
      );
      return reply.type('application/json; charset=utf-8').send(withValue(row, json));
    },
  );
}
