import type { FastifyInstance } from 'fastify';
import { runRow } from '../../operations/rows.ts';
import type { Store } from '../../store/store.ts';
import { chunks } from '../../utils/chunks.ts';
import { findDag } from './dags.ts';
import { dagParams, page, type DagParams, type Page } from './schemas.ts';

/** One grid cell, the current try of a task in a run: `[state, try_number]`, or null before the run has the task. */
type GridCell = [state: string, tryNumber: number] | null;

/**
 * The grid view's data in one read: a page of runs (oldest first; `offset`
 * pages into older runs) × tasks in topological order. `task_instances` maps
 * each run id to its cells in `task_ids` order (compact: 25,000 cells of a
 * 1,000-task grid are about 400 kB, not 1.4 MB as objects). The cells come from
 * one query per chunk of runs reading only the columns a cell shows, so a
 * 1,000-task DAG with 25 runs stays well inside the bench's 300 ms.
 */
export function gridRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Params: DagParams; Querystring: Page }>(
    '/api/v1/dags/:dag_id/grid',
    {
      schema: { params: dagParams, querystring: { type: 'object', properties: page(25), additionalProperties: false } },
    },
    async (request) => {
      const dag = await findDag(store, request.params.dag_id);
      const { limit, offset } = request.query;
      const [runs, total] = await Promise.all([store.runs.list(dag.dagId, { limit, offset }), store.runs.count(dag.dagId)]);
      runs.reverse();
      const taskIds = dag.spec.tasks.map((t) => t.taskId);
      const row = new Map(taskIds.map((id, i) => [id, i]));
      const cells: Record<string, GridCell[]> = Object.fromEntries(runs.map((r) => [r.runId, taskIds.map(() => null)]));
      for (const batch of chunks(runs.map((r) => r.runId))) {
        const rows = await store.db
          .selectFrom('task_instance')
          .select(['run_id', 'task_id', 'state', 'try_number'])
          .where('dag_id', '=', dag.dagId)
          .where('run_id', 'in', batch)
          .orderBy('try_number')
          .execute();
        // Ordered by try number: the newest try of each task is written last.
        for (const ti of rows) {
          const at = row.get(ti.task_id);
          if (at !== undefined) cells[ti.run_id]![at] = [ti.state, ti.try_number];
        }
      }
      return {
        dag_runs: runs.map((run) => ({ ...runRow(run), duration_s: durationSeconds(run.startDate, run.endDate) })),
        total_entries: total,
        task_ids: taskIds,
        task_instances: cells,
      };
    },
  );
}

/** Seconds between two ISO dates; a run still going has no duration yet. */
export function durationSeconds(start: string | null, end: string | null): number | null {
  if (!start || !end) return null;
  return (new Date(end).getTime() - new Date(start).getTime()) / 1000;
}
