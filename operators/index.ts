export { BaseOperator, chain, type TaskOrList } from './base-operator.ts';
export { FunctionOperator, type FunctionOperatorOptions, type TaskFunction } from './function-operator.ts';
export { BashOperator, type BashOperatorOptions, bashEnvironment } from './bash-operator.ts';
export { BranchOperator, type BranchChoice } from './branch-operator.ts';
export { ShortCircuitOperator, type ShortCircuitOptions } from './short-circuit-operator.ts';
export { EmptyOperator } from './empty-operator.ts';
