import { isDag, type Dag } from '../models/dag.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { DagValidationError } from '../models/errors.ts';

/** The DAGs a loaded module exports (default and named exports), each validated once. */
export function dagsOfModule(mod: Record<string, unknown>, file: string): Dag[] {
  const dags = [...new Set(Object.values(mod).filter(isDag))];
  const seen = new Set<string>();
  for (const dag of dags) {
    if (seen.has(dag.dagId)) throw new DagValidationError(`${file}: DAG id '${dag.dagId}' is defined twice`);
    seen.add(dag.dagId);
  }
  return dags;
}

export function describeDagModule(mod: Record<string, unknown>, file: string): DagSpec[] {
  return dagsOfModule(mod, file).map((dag) => dag.toSpec());
}
