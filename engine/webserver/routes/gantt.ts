import type { FastifyInstance } from 'fastify';
import { inDagOrder, runRow, taskInstanceRow } from '../../operations/rows.ts';
import type { Store } from '../../store/store.ts';
import { chunks } from '../../utils/chunks.ts';
import { findRun } from './dag-runs.ts';
import { findDag } from './dags.ts';
import { durationSeconds } from './grid.ts';
import { dagParams, page, runParams, type DagParams, type Page, type RunParams } from './schemas.ts';

/** The Gantt chart of a run and Airflow's "Task Duration" chart across runs. */
export function ganttRoutes(app: FastifyInstance, store: Store): void {
  /** Every try of every task of a run (queued, start and end times), in DAG order: one bar per try. */
  app.get<{ Params: RunParams }>('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/gantt', { schema: { params: runParams } }, async (request) => {
    const { dag, run } = await findRun(store, request.params.dag_id, request.params.dag_run_id);
    const tries = inDagOrder(await store.tasks.allTries(run.dagId, run.runId), dag.spec);
    return { dag_run: runRow(run), task_instances: tries.map(taskInstanceRow), total_entries: tries.length };
  });

  /** Duration in seconds of each task's current try in each of a page of runs (oldest first); null where it has none. */
  app.get<{ Params: DagParams; Querystring: Page }>(
    '/api/v1/dags/:dag_id/taskDurations',
    {
      schema: { params: dagParams, querystring: { type: 'object', properties: page(25), additionalProperties: false } },
    },
    async (request) => {
      const dag = await findDag(store, request.params.dag_id);
      const runs = (await store.runs.list(dag.dagId, { limit: request.query.limit, offset: request.query.offset })).reverse();
      const column = new Map(runs.map((r, i) => [r.runId, i]));
      const durations: Record<string, Array<number | null>> = Object.fromEntries(
        dag.spec.tasks.map((t) => [t.taskId, runs.map(() => null)]),
      );
      for (const batch of chunks(runs.map((r) => r.runId))) {
        const rows = await store.db
          .selectFrom('task_instance')
          .select(['run_id', 'task_id', 'duration_ms'])
          .where('dag_id', '=', dag.dagId)
          .where('run_id', 'in', batch)
          .orderBy('try_number')
          .execute();
        for (const row of rows) {
          const series = durations[row.task_id];
          if (series) series[column.get(row.run_id)!] = row.duration_ms === null ? null : row.duration_ms / 1000;
        }
      }
      return {
        dag_runs: runs.map((r) => ({
          run_id: r.runId,
          logical_date: r.logicalDate,
          state: r.state,
          duration_s: durationSeconds(r.startDate, r.endDate),
        })),
        durations,
      };
    },
  );
}
