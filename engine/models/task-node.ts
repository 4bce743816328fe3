import type { TaskOptions } from './interfaces.ts';
import type { TaskContext } from './task-context.ts';

/**
 * The part of a DAG an operator needs to decide what to skip after a try
 * (branching, short-circuit): the walks of its validated graph.
 */
export interface DagGraph {
  /** Direct downstream task ids of `taskId`. */
  downstreamOf(taskId: string): readonly string[];
  /** Every task id reachable downstream of `taskId`. */
  descendantsOf(taskId: string): readonly string[];
}

/**
 * What the engine needs of a task: its identity, its edges, and how to run
 * one try. Operators (`BaseOperator` and its subclasses) implement it; the
 * DAG model holds tasks only through it, so that the model never depends on
 * the operators.
 */
export interface TaskNode<R = unknown> {
  readonly taskId: string;
  /** Short operator kind stored with each task instance, e.g. `bash`. */
  readonly operatorName: string;
  /** False for operators that never read upstream XComs: the runner then skips loading them. */
  readonly readsXCom: boolean;
  readonly options: Readonly<TaskOptions>;
  readonly upstreamIds: ReadonlySet<string>;
  readonly downstreamIds: ReadonlySet<string>;
  /** Tasks linked to this one, kept so that a DAG can tell a foreign task from its own. */
  readonly linked: ReadonlySet<TaskNode>;
  /** Runs one try; the value returned is the task's XCom. */
  execute(context: TaskContext): Promise<R> | R;
  /** Task ids to mark skipped after a successful try. */
  tasksToSkip(result: R, graph: DagGraph): string[];
}
