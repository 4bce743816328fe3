import { ID_PATTERN, RUN_ID_PATTERN } from '../../models/ids.ts';

/** JSON-schema fragments shared by the routes: fastify validates every path, query and body with them (bad input is a 400, never a 500). */

// The same rules the CLI applies, as JSON-schema patterns (plugins get them from engine/plugin-api.ts).
export { ID_PATTERN, RUN_ID_PATTERN };

const id = { type: 'string', pattern: ID_PATTERN } as const;
const runId = { type: 'string', pattern: RUN_ID_PATTERN } as const;

export const dagParams = { type: 'object', required: ['dag_id'], properties: { dag_id: id } } as const;
export const runParams = { type: 'object', required: ['dag_id', 'dag_run_id'], properties: { dag_id: id, dag_run_id: runId } } as const;
export const taskParams = {
  type: 'object',
  required: ['dag_id', 'dag_run_id', 'task_id'],
  properties: { dag_id: id, dag_run_id: runId, task_id: id },
} as const;
export const logParams = {
  type: 'object',
  required: ['dag_id', 'dag_run_id', 'task_id', 'try_number'],
  properties: { dag_id: id, dag_run_id: runId, task_id: id, try_number: { type: 'integer', minimum: 1 } },
} as const;
export const page = (defaultLimit: number) =>
  ({
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: defaultLimit },
    offset: { type: 'integer', minimum: 0, default: 0 },
  }) as const;

export interface DagParams {
  dag_id: string;
}
export interface RunParams extends DagParams {
  dag_run_id: string;
}
export interface TaskParams extends RunParams {
  task_id: string;
}
export interface LogParams extends TaskParams {
  try_number: number;
}
export interface Page {
  limit: number;
  offset: number;
}
