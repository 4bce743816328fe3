import { Dag } from '../engine/models/dag.ts';
import type { DagOptions, TaskOptions } from '../engine/models/interfaces.ts';
import type { BaseOperator } from './base-operator.ts';
import { BashOperator, type BashOperatorOptions } from './bash-operator.ts';
import { BranchOperator, type BranchChoice } from './branch-operator.ts';
import { EmptyOperator } from './empty-operator.ts';
import { FunctionOperator, type TaskFunction } from './function-operator.ts';
import { ShortCircuitOperator, type ShortCircuitOptions } from './short-circuit-operator.ts';

type Extra<O extends TaskOptions> = Omit<O, 'taskId'>;

/**
 * A DAG being written in a DAG file: the engine's {@link Dag} model plus one
 * shorthand per built-in operator. It lives beside the operators so that the
 * model never imports them; the authoring API exports it as `Dag`.
 * Build one with {@link dag} and export it from a file in the DAG folder.
 */
export class DagBuilder extends Dag<BaseOperator> {
  /** A task that runs `fn`; its return value becomes the XCom, typed for `ctx.xcom(task)`. */
  task<R>(taskId: string, fn: TaskFunction<R>, options: Extra<TaskOptions> = {}): FunctionOperator<Awaited<R>> {
    return this.add(new FunctionOperator<Awaited<R>>({ ...options, taskId, fn: fn as TaskFunction<Awaited<R>> }));
  }

  /** A task that runs `bash -c command`; params/conf reach it as environment variables. */
  bash(taskId: string, bashCommand: string, options: Extra<Omit<BashOperatorOptions, 'bashCommand'>> = {}): BashOperator {
    return this.add(new BashOperator({ ...options, taskId, bashCommand }));
  }

  /** A task returning the direct downstream task id(s) to follow; the others are skipped. */
  branch(taskId: string, fn: TaskFunction<BranchChoice>, options: Extra<TaskOptions> = {}): BranchOperator {
    return this.add(new BranchOperator({ ...options, taskId, fn }));
  }

  /** A task whose falsy result skips everything downstream. */
  shortCircuit(taskId: string, fn: TaskFunction<unknown>, options: Extra<Omit<ShortCircuitOptions, 'fn'>> = {}): ShortCircuitOperator {
    return this.add(new ShortCircuitOperator({ ...options, taskId, fn }));
  }

  /** A task that does nothing (a join or placeholder). */
  empty(taskId: string, options: Extra<TaskOptions> = {}): EmptyOperator {
    return this.add(new EmptyOperator({ ...options, taskId }));
  }
}

/** Creates a DAG; export it from a file in the DAG folder. */
export function dag(options: DagOptions): DagBuilder {
  return new DagBuilder(options);
}
