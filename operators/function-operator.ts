import type { TaskContext } from '../engine/models/task-context.ts';
import type { TaskOptions } from '../engine/models/interfaces.ts';
import { BaseOperator } from './base-operator.ts';

/**
 * The function a task runs: it gets the {@link TaskContext} and returns (or
 * resolves to) the task's XCom value.
 */
export type TaskFunction<R> = (context: TaskContext) => R | Promise<R>;

/** Options of {@link FunctionOperator}: the task options plus the function to run. */
export interface FunctionOperatorOptions<R> extends TaskOptions {
  /** Runs once per try; what it returns is the XCom. */
  fn: TaskFunction<R>;
}

/** Runs a TypeScript function (Airflow's PythonOperator / `@task`); its return value is the XCom. */
export class FunctionOperator<R = unknown> extends BaseOperator<R> {
  readonly operatorName: string = 'function';
  protected readonly fn: TaskFunction<R>;

  constructor(options: FunctionOperatorOptions<R>) {
    super(options);
    this.fn = options.fn;
  }

  execute(context: TaskContext): Promise<R> | R {
    return this.fn(context);
  }
}
