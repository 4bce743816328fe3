import type { TaskOptions } from '../engine/models/interfaces.ts';
import type { DagGraph } from '../engine/models/task-node.ts';
import { FunctionOperator, type TaskFunction } from './function-operator.ts';

/** Options of {@link ShortCircuitOperator}: the task options plus the condition. */
export interface ShortCircuitOptions extends TaskOptions {
  /** The condition: a falsy result skips what follows. */
  fn: TaskFunction<unknown>;
  /**
   * true: a falsy result skips every task downstream, whatever its trigger rule.
   * false: only direct downstream tasks are skipped; the rest follow their trigger rules.
   * @defaultValue `true` (as Airflow)
   */
  ignoreDownstreamTriggerRules?: boolean;
}

/** Airflow's ShortCircuitOperator: a falsy result skips what follows. */
export class ShortCircuitOperator extends FunctionOperator<unknown> {
  override readonly operatorName = 'short_circuit';
  private readonly ignoreDownstreamTriggerRules: boolean;

  constructor(options: ShortCircuitOptions) {
    super(options);
    this.ignoreDownstreamTriggerRules = options.ignoreDownstreamTriggerRules ?? true;
  }

  override tasksToSkip(result: unknown, graph: DagGraph): string[] {
    if (result) return [];
    return [...(this.ignoreDownstreamTriggerRules ? graph.descendantsOf(this.taskId) : graph.downstreamOf(this.taskId))];
  }
}
