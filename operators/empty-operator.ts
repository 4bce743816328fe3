import { BaseOperator } from './base-operator.ts';

/** Does nothing; useful as a join or a placeholder (Airflow's EmptyOperator). */
export class EmptyOperator extends BaseOperator<null> {
  readonly operatorName = 'empty';
  override readonly readsXCom = false;
  execute(): null {
    return null;
  }
}
