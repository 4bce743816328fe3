import type { TaskContext } from '../engine/models/task-context.ts';
import type { TaskOptions } from '../engine/models/interfaces.ts';
import { BaseOperator } from './base-operator.ts';

export type TaskFunction<R> = (context: TaskContext) => R | Promise<R>;

export interface FunctionOperatorOptions<R> extends TaskOptions {
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
