import type { TaskOptions } from '../engine/models/interfaces.ts';
import { FailWithoutRetryError } from '../engine/models/errors.ts';
import type { DagGraph } from '../engine/models/task-node.ts';
import { skipAllExcept } from './base-operator.ts';
import { FunctionOperator, type TaskFunction } from './function-operator.ts';

/** What a branch function returns: the direct downstream task id(s) to follow; null/[] follows none. */
export type BranchChoice = string | readonly string[] | null;

/**
 * Airflow's BranchPythonOperator: the function picks which direct downstream
 * tasks run; the other direct downstream tasks are skipped (unless they are
 * also downstream of a followed one), and the skip propagates through their
 * `all_success` descendants.
 */
export class BranchOperator extends FunctionOperator<BranchChoice> {
  override readonly operatorName = 'branch';

  constructor(options: TaskOptions & { fn: TaskFunction<BranchChoice> }) {
    super(options);
  }

  override tasksToSkip(choice: BranchChoice, graph: DagGraph): string[] {
    const follow = choice === null ? [] : typeof choice === 'string' ? [choice] : [...choice];
    const direct = graph.downstreamOf(this.taskId);
    const unknown = follow.filter((id) => !direct.includes(id));
    if (unknown.length > 0) {
      throw new FailWithoutRetryError(
        `branch '${this.taskId}' chose ${unknown.map((id) => `'${id}'`).join(', ')}, not a direct downstream task (${direct.join(', ') || 'none'})`,
      );
    }
    return skipAllExcept(this.taskId, follow, graph);
  }
}
