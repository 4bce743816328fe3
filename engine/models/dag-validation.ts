import { DirectedGraph } from 'graphology';
import { hasCycle, topologicalGenerations } from 'graphology-dag';
import { DagValidationError } from './errors.ts';
import { ID } from './ids.ts';

export { ID };

/** Worker queue names: they become part of BullMQ queue names (`tasks-<queue>`). */
export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,100}$/;

export function assertValidId(kind: 'DAG' | 'task', id: unknown, where: string): asserts id is string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new DagValidationError(`${where}: bad ${kind} id ${JSON.stringify(id)} (use 1-250 letters, digits, '_', '-', '.')`);
  }
}

/** Finds one cycle and returns its path, e.g. ['a', 'b', 'c', 'a']. */
function findCycle(graph: DirectedGraph): string[] {
  const color = new Map<string, 'grey' | 'black'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    color.set(node, 'grey');
    path.push(node);
    for (const next of graph.outNeighbors(node)) {
      if (color.get(next) === 'grey') return [...path.slice(path.indexOf(next)), next];
      if (!color.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    color.set(node, 'black');
    return null;
  };
  for (const node of graph.nodes()) {
    if (!color.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return [];
}

/**
 * Checks the task graph (every edge names a task of this DAG, no cycle) and
 * returns the task ids grouped by topological generation.
 */
export function validateGraph(dagId: string, edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const graph = new DirectedGraph();
  for (const taskId of edges.keys()) graph.addNode(taskId);
  for (const [from, targets] of edges) {
    for (const to of targets) {
      if (!graph.hasNode(to)) {
        throw new DagValidationError(`DAG '${dagId}': task '${from}' has an edge to unknown task '${to}' (add it to the DAG first)`);
      }
      graph.mergeEdge(from, to);
    }
  }
  if (hasCycle(graph)) {
    throw new DagValidationError(`DAG '${dagId}': cycle ${findCycle(graph).join(' -> ')}`);
  }
  return topologicalGenerations(graph);
}
