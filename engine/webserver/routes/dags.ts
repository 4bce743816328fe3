import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../models/errors.ts';
import { setDagPaused } from '../../operations/dag-commands.ts';
import { dagRow } from '../../operations/rows.ts';
import { nextRunInfo } from '../../scheduler/run-creation.ts';
import type { DagRow } from '../../store/dag-repository.ts';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../../utils/clock.ts';
import { dagParams, page, type DagParams, type Page } from './schemas.ts';

const RECENT_RUNS = 10;

export async function findDag(store: Store, dagId: string): Promise<DagRow> {
  const dag = await store.dags.get(dagId);
  if (!dag?.isActive) throw new NotFoundError(`DAG '${dagId}' not found`);
  return dag;
}

/** A DAG as the API shows it: Airflow's fields plus its next run and a strip of its recent runs (newest first). */
async function dagView(store: Store, dag: DagRow, now: Date): Promise<Record<string, unknown>> {
  const next = await nextRunInfo(store, dag.spec, now).catch(() => null);
  const recent = await store.runs.list(dag.dagId, { limit: RECENT_RUNS });
  return {
    ...dagRow(dag),
    next_dagrun: next?.logicalDate.toISOString() ?? null,
    next_dagrun_create_after: next?.runAfter.toISOString() ?? null,
    last_run_state: recent[0]?.state ?? null,
    recent_runs: recent.map((r) => ({ run_id: r.runId, state: r.state, logical_date: r.logicalDate })),
  };
}

export function dagRoutes(app: FastifyInstance, store: Store, clock: Clock): void {
  app.get<{ Querystring: Page & { paused?: boolean } }>(
    '/api/v1/dags',
    {
      schema: { querystring: { type: 'object', properties: { ...page(100), paused: { type: 'boolean' } }, additionalProperties: false } },
    },
    async (request) => {
      const { limit, offset, paused } = request.query;
      const all = (await store.dags.list({ activeOnly: true })).filter((d) => paused === undefined || d.isPaused === paused);
      const now = clock.now();
      return { dags: await Promise.all(all.slice(offset, offset + limit).map((d) => dagView(store, d, now))), total_entries: all.length };
    },
  );

  app.get<{ Params: DagParams }>('/api/v1/dags/:dag_id', { schema: { params: dagParams } }, async (request) =>
    dagView(store, await findDag(store, request.params.dag_id), clock.now()),
  );

  app.patch<{ Params: DagParams; Body: { is_paused: boolean } }>(
    '/api/v1/dags/:dag_id',
    {
      schema: {
        params: dagParams,
        body: { type: 'object', required: ['is_paused'], properties: { is_paused: { type: 'boolean' } }, additionalProperties: false },
      },
    },
    async (request) => {
      const dag = await findDag(store, request.params.dag_id);
      await setDagPaused(store, dag.dagId, request.body.is_paused);
      return dagView(store, { ...dag, isPaused: request.body.is_paused }, clock.now());
    },
  );

  app.get<{ Params: DagParams }>('/api/v1/dags/:dag_id/tasks', { schema: { params: dagParams } }, async (request) => {
    const { spec } = await findDag(store, request.params.dag_id);
    const tasks = spec.tasks.map((t) => ({
      task_id: t.taskId,
      operator: t.operator,
      trigger_rule: t.triggerRule,
      queue: t.queue,
      retries: t.retries,
      upstream_task_ids: t.upstream,
      downstream_task_ids: t.downstream,
    }));
    return { tasks, total_entries: tasks.length };
  });

  app.get('/api/v1/importErrors', async () => {
    const errors = await store.importErrors.list();
    return {
      import_errors: errors.map((e) => ({ filename: e.filename, stack_trace: e.message, timestamp: e.timestamp })),
      total_entries: errors.length,
    };
  });
}
