import type { FastifyInstance } from 'fastify';
import { InvalidInputError, NotFoundError } from '../../models/errors.ts';
import { isDagRunState, type DagRunState } from '../../models/states.ts';
import { triggerDagRun } from '../../operations/dag-commands.ts';
import { deleteDagRun } from '../../operations/delete-dag-run.ts';
import { SETTABLE_RUN_STATES, type SettableRunState } from '../../operations/mark-tries.ts';
import { setDagRunState } from '../../operations/set-dag-run-state.ts';
import { runRow } from '../../operations/rows.ts';
import type { DagRow } from '../../store/dag-repository.ts';
import type { DagRun } from '../../store/dag-run-repository.ts';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../../utils/clock.ts';
import { findDag } from './dags.ts';
import { dagParams, page, runParams, RUN_ID_PATTERN, type DagParams, type Page, type RunParams } from './schemas.ts';

interface TriggerBody {
  dag_run_id?: string;
  logical_date?: string;
  conf?: Record<string, unknown>;
}

/** A run and its DAG, or a NotFoundError naming whichever is missing. */
export async function findRun(store: Store, dagId: string, runId: string): Promise<{ dag: DagRow; run: DagRun }> {
  const dag = await findDag(store, dagId);
  const run = await store.runs.get(dagId, runId);
  if (!run) throw new NotFoundError(`DAG '${dagId}' has no run '${runId}'`);
  return { dag, run };
}

export function dagRunRoutes(app: FastifyInstance, store: Store, clock: Clock): void {
  app.get<{ Params: DagParams; Querystring: Page & { state?: string } }>(
    '/api/v1/dags/:dag_id/dagRuns',
    {
      schema: {
        params: dagParams,
        querystring: { type: 'object', properties: { ...page(25), state: { type: 'string' } }, additionalProperties: false },
      },
    },
    async (request) => {
      const { dag_id: dagId } = request.params;
      const { limit, offset, state } = request.query;
      if (state !== undefined && !isDagRunState(state)) throw new InvalidInputError(`unknown DAG run state '${state}'`);
      await findDag(store, dagId);
      const runs = await store.runs.list(dagId, { limit, offset, state: state as DagRunState | undefined });
      return { dag_runs: runs.map(runRow), total_entries: await store.runs.count(dagId, state as DagRunState | undefined) };
    },
  );

  app.post<{ Params: DagParams; Body: TriggerBody }>(
    '/api/v1/dags/:dag_id/dagRuns',
    {
      schema: {
        params: dagParams,
        body: {
          type: 'object',
          properties: {
            dag_run_id: { type: 'string', pattern: RUN_ID_PATTERN },
            logical_date: { type: 'string' },
            conf: { type: 'object' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const dag = await findDag(store, request.params.dag_id);
      const { dag_run_id: runId, logical_date: date, conf } = request.body;
      const logicalDate = date === undefined ? undefined : new Date(date);
      if (logicalDate && Number.isNaN(logicalDate.getTime())) throw new InvalidInputError(`logical_date: not an ISO-8601 date: '${date}'`);
      return runRow(await triggerDagRun(store, dag, { runId, conf, logicalDate }, clock.now()));
    },
  );

  app.get<{ Params: RunParams }>('/api/v1/dags/:dag_id/dagRuns/:dag_run_id', { schema: { params: runParams } }, async (request) =>
    runRow((await findRun(store, request.params.dag_id, request.params.dag_run_id)).run),
  );

  /**
   * Airflow's PATCH dagRun: `{"state": "success" | "failed" | "queued"}` sets
   * the run's state with the task changes it implies (running tries are
   * terminated by their workers); answers the run as it is now.
   */
  app.patch<{ Params: RunParams; Body: { state: SettableRunState } }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id',
    {
      schema: {
        params: runParams,
        body: {
          type: 'object',
          required: ['state'],
          properties: { state: { type: 'string', enum: [...SETTABLE_RUN_STATES] } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { dag, run } = await findRun(store, request.params.dag_id, request.params.dag_run_id);
      return runRow((await setDagRunState(store, dag, run, request.body.state, {}, clock.now())).run);
    },
  );

  /** Airflow's DELETE dagRun: the run with its tries, logs and XComs; 204, no body. */
  app.delete<{ Params: RunParams }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id',
    { schema: { params: runParams } },
    async (request, reply) => {
      const { run } = await findRun(store, request.params.dag_id, request.params.dag_run_id);
      await deleteDagRun(store, run);
      return reply.status(204).send();
    },
  );
}
