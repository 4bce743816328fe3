import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../models/errors.ts';
import { inDagOrder, taskInstanceRow } from '../../operations/rows.ts';
import type { Store } from '../../store/store.ts';
import { findRun } from './dag-runs.ts';
import {
  dagParams,
  ID_PATTERN,
  RUN_ID_PATTERN,
  runParams,
  taskParams,
  type DagParams,
  type RunParams,
  type TaskParams,
} from './schemas.ts';
import { taskLogRoutes } from './task-logs.ts';
import { clearTaskInstances } from '../../operations/clear-task-instances.ts';
import { MARKABLE_TASK_STATES, stateChangeRow, type MarkableTaskState } from '../../operations/mark-tries.ts';
import { setTaskInstanceState } from '../../operations/set-task-instance-state.ts';
import type { Clock } from '../../utils/clock.ts';

interface ClearBody {
  dag_run_id: string;
  task_ids?: string[];
  only_failed?: boolean;
  include_downstream?: boolean;
  dry_run?: boolean;
}

interface SetStateBody {
  new_state: MarkableTaskState;
  dry_run?: boolean;
  include_upstream?: boolean;
  include_downstream?: boolean;
  include_future?: boolean;
  include_past?: boolean;
}

export function taskInstanceRoutes(app: FastifyInstance, store: Store, clock: Clock): void {
  /** Airflow's clearTaskInstances: the chosen finished tasks of a run run again as new tries. */
  app.post<{ Params: DagParams; Body: ClearBody }>(
    '/api/v1/dags/:dag_id/clearTaskInstances',
    {
      schema: {
        params: dagParams,
        body: {
          type: 'object',
          required: ['dag_run_id'],
          properties: {
            dag_run_id: { type: 'string', pattern: RUN_ID_PATTERN },
            task_ids: { type: 'array', items: { type: 'string', pattern: ID_PATTERN }, maxItems: 10_000 },
            only_failed: { type: 'boolean' },
            include_downstream: { type: 'boolean' },
            dry_run: { type: 'boolean' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const {
        dag_run_id: runId,
        task_ids: taskIds,
        only_failed: onlyFailed,
        include_downstream: downstream,
        dry_run: dryRun,
      } = request.body;
      const { dag, run } = await findRun(store, request.params.dag_id, runId);
      const unknown = taskIds?.find((id) => !dag.spec.tasks.some((t) => t.taskId === id));
      if (unknown !== undefined) throw new NotFoundError(`DAG '${dag.dagId}' has no task '${unknown}'`);
      const wanted = taskIds && new Set(taskIds);
      const cleared = await clearTaskInstances(
        store,
        dag,
        run,
        { match: wanted ? (id) => wanted.has(id) : undefined, onlyFailed, downstream, dryRun },
        clock.now(),
      );
      return { task_instances: cleared, total_entries: cleared.length };
    },
  );

  /** Latest try of every task of a run, in DAG order (Airflow's list endpoint). */
  app.get<{ Params: RunParams }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances',
    { schema: { params: runParams } },
    async (request) => {
      const {
        dag: { spec },
        run,
      } = await findRun(store, request.params.dag_id, request.params.dag_run_id);
      const latest = inDagOrder([...(await store.tasks.latestTries(run.dagId, run.runId)).values()], spec);
      return { task_instances: latest.map(taskInstanceRow), total_entries: latest.length };
    },
  );

  app.get<{ Params: TaskParams }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id',
    { schema: { params: taskParams } },
    async (request) => {
      const tries = await triesOf(store, request.params);
      return taskInstanceRow(tries.at(-1)!);
    },
  );

  /**
   * Airflow's PATCH taskInstance: mark success / failed, with its upstream,
   * downstream, future and past relatives as asked; answers the task
   * instances changed (with `dry_run`, those that would be), each with its
   * previous and new state. A running try is terminated by its worker.
   */
  app.patch<{ Params: TaskParams; Body: SetStateBody }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id',
    {
      schema: {
        params: taskParams,
        body: {
          type: 'object',
          required: ['new_state'],
          properties: {
            new_state: { type: 'string', enum: [...MARKABLE_TASK_STATES] },
            dry_run: { type: 'boolean' },
            include_upstream: { type: 'boolean' },
            include_downstream: { type: 'boolean' },
            include_future: { type: 'boolean' },
            include_past: { type: 'boolean' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { dag, run } = await findRun(store, request.params.dag_id, request.params.dag_run_id);
      const b = request.body;
      const changes = await setTaskInstanceState(
        store,
        dag,
        run,
        {
          taskId: request.params.task_id,
          state: b.new_state,
          dryRun: b.dry_run,
          upstream: b.include_upstream,
          downstream: b.include_downstream,
          future: b.include_future,
          past: b.include_past,
        },
        clock.now(),
      );
      return { task_instances: changes.map(stateChangeRow), total_entries: changes.length };
    },
  );

  /** Every try of one task, oldest first, each with its own state, times, worker and error. */
  app.get<{ Params: TaskParams }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/tries',
    { schema: { params: taskParams } },
    async (request) => {
      const tries = await triesOf(store, request.params);
      return { task_instances: tries.map(taskInstanceRow), total_entries: tries.length };
    },
  );

  taskLogRoutes(app, store);
}

async function triesOf(store: Store, params: TaskParams) {
  const { run } = await findRun(store, params.dag_id, params.dag_run_id);
  const tries = (await store.tasks.allTries(run.dagId, run.runId))
    .filter((t) => t.taskId === params.task_id)
    .sort((a, b) => a.tryNumber - b.tryNumber);
  if (tries.length === 0) throw new NotFoundError(`run '${run.runId}' of DAG '${run.dagId}' has no task '${params.task_id}'`);
  return tries;
}
