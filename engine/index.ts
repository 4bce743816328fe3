/**
 * Updraft's public API: what DAG files import as `from 'updraft'`.
 */
export { DagBuilder as Dag, dag } from '../operators/dag-builder.ts';
export { isDag } from './models/dag.ts';
export type { DagOptions, TaskDefaults, TaskOptions, TaskIsolation, SuccessCallback, FailureCallback } from './models/interfaces.ts';
export type { TaskContext, TaskLogger, XComSource } from './models/task-context.ts';
export type { DagSpec, TaskSpec } from './models/dag-spec.ts';
export type { Duration } from './models/duration.ts';
export type { DagGraph } from './models/task-node.ts';
export type { Schedule } from './models/timetable.ts';
export { TriggerRule } from './models/trigger-rule.ts';
export { TaskInstanceState, DagRunState, DagRunType } from './models/states.ts';
export {
  UpdraftError,
  DagValidationError,
  SkipTaskError,
  FailWithoutRetryError,
  TaskTimeoutError,
  InvalidInputError,
  NotFoundError,
} from './models/errors.ts';
export * from '../operators/index.ts';
