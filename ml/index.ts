/**
 * Updraft's ML layer, for DAG files: `import { DriftCheckOperator } from 'updraft/ml'`.
 * Apart from `'updraft'` so that a DAG without ML tasks never loads the
 * statistics and CSV code when the scheduler parses it.
 */
export { DriftCheckOperator, type DriftCheckOptions, type FromContext } from './operators/drift-check-operator.ts';
export { EstimatedPerformanceOperator, type EstimatedPerformanceOptions } from './operators/estimated-performance-operator.ts';
export { DataValidationError } from './errors.ts';
