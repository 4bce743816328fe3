import type { TriggerRule } from './trigger-rule.ts';
import type { TaskIsolation } from './interfaces.ts';

/**
 * A task with every default resolved, in plain data: what the scheduler, the
 * store and the CLI know of a task without importing its DAG file.
 */
export interface TaskSpec {
  taskId: string;
  operator: string;
  owner: string;
  triggerRule: TriggerRule;
  queue: string;
  retries: number;
  retryDelayMs: number;
  retryExponentialBackoff: boolean;
  maxRetryDelayMs: number | null;
  executionTimeoutMs: number | null;
  /** Absent in specs stored before the option existed: read it as `'none'`. */
  isolation?: TaskIsolation;
  upstream: string[];
  downstream: string[];
  doc: string | null;
}

/** A validated DAG in plain data (Airflow's serialized DAG). */
export interface DagSpec {
  dagId: string;
  description: string;
  tags: string[];
  schedule: string | null;
  startDate: string | null;
  endDate: string | null;
  catchup: boolean;
  maxActiveRuns: number;
  /** Paused the first time the store sees the DAG; null: the installation's default. Absent in specs stored before the option existed. */
  isPausedUponCreation?: boolean | null;
  dagrunTimeoutMs: number | null;
  params: Record<string, unknown>;
  owners: string[];
  /** Tasks in topological order. */
  tasks: TaskSpec[];
}

/** Index of a spec's tasks, with the graph walks the scheduler needs. */
export class DagStructure {
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Each task's position in `spec.tasks`, i.e. in topological order. */
  readonly position: ReadonlyMap<string, number>;

  constructor(readonly spec: DagSpec) {
    this.tasks = new Map(spec.tasks.map((t) => [t.taskId, t]));
    this.position = new Map(spec.tasks.map((t, i) => [t.taskId, i]));
  }

  task(taskId: string): TaskSpec {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`DAG '${this.spec.dagId}' has no task '${taskId}'`);
    return task;
  }

  downstreamOf(taskId: string): readonly string[] {
    return this.task(taskId).downstream;
  }

  descendantsOf(taskId: string): string[] {
    const seen = new Set<string>();
    const stack = [...this.downstreamOf(taskId)];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...this.downstreamOf(id));
    }
    return [...seen];
  }

  /** Every task upstream of `taskId`, transitively. */
  ancestorsOf(taskId: string): string[] {
    const seen = new Set<string>();
    const stack = [...this.task(taskId).upstream];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...this.task(id).upstream);
    }
    return [...seen];
  }

  leaves(): TaskSpec[] {
    return this.spec.tasks.filter((t) => t.downstream.length === 0);
  }
}
