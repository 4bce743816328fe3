import { DagStructure, type DagSpec, type TaskSpec } from './dag-spec.ts';
import { assertValidId, QUEUE_NAME, validateGraph } from './dag-validation.ts';
import { parseDuration } from './duration.ts';
import { DagValidationError } from './errors.ts';
import type { DagOptions, TaskDefaults, TaskOptions } from './interfaces.ts';
import type { DagGraph, TaskNode } from './task-node.ts';
import { createTimetable, type Timetable } from './timetable.ts';
import { isTriggerRule, TriggerRule } from './trigger-rule.ts';

const DAG_BRAND = Symbol.for('updraft.dag');
const DEFAULT_RETRY_DELAY = '5m';

function toDate(value: Date | string | undefined, what: string): Date | null {
  if (value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new DagValidationError(`${what}: not a date: ${JSON.stringify(value)}`);
  return date;
}

/**
 * A DAG as the engine sees it: tasks, their dependencies, and when to run
 * them. A pure description: it holds tasks only as {@link TaskNode}s, so it
 * knows no operator. DAG files build one through the authoring API's `dag()`
 * (operators/dag-builder.ts), which adds the shorthands (`d.task`, `d.bash`…).
 * `T` is the kind of task held: the builder narrows it to `BaseOperator`.
 */
export class Dag<T extends TaskNode = TaskNode> implements DagGraph {
  readonly [DAG_BRAND] = true;
  readonly dagId: string;
  readonly options: Readonly<DagOptions>;
  readonly timetable: Timetable;
  readonly startDate: Date | null;
  readonly endDate: Date | null;
  private readonly taskMap = new Map<string, T>();
  private specCache: DagSpec | null = null;
  private structureCache: DagStructure | null = null;

  constructor(options: DagOptions) {
    assertValidId('DAG', options?.dagId, 'dag()');
    this.dagId = options.dagId;
    this.options = options;
    const where = `DAG '${this.dagId}'`;
    this.timetable = createTimetable(options.schedule ?? null, where);
    this.startDate = toDate(options.startDate, `${where} startDate`);
    this.endDate = toDate(options.endDate, `${where} endDate`);
    if (this.timetable.periodic || options.schedule === '@once') {
      if (!this.startDate) throw new DagValidationError(`${where}: startDate is required when schedule is '${options.schedule}'`);
    }
    const maxActiveRuns = options.maxActiveRuns ?? 16;
    if (!Number.isInteger(maxActiveRuns) || maxActiveRuns < 1) {
      throw new DagValidationError(`${where}: maxActiveRuns must be a positive integer, got ${maxActiveRuns}`);
    }
    if (options.dagrunTimeout !== undefined) parseDuration(options.dagrunTimeout, `${where} dagrunTimeout`);
    this.resolveTaskDefaults(options.defaultArgs ?? {}, `${where} defaultArgs`);
  }

  /** Adds a task built from an operator class; returns it for `.to(...)`. */
  add<U extends T>(task: U): U {
    assertValidId('task', task.taskId, `DAG '${this.dagId}'`);
    if (this.taskMap.has(task.taskId)) {
      throw new DagValidationError(`DAG '${this.dagId}': duplicate task id '${task.taskId}'`);
    }
    this.resolveTaskDefaults(task.options, `DAG '${this.dagId}' task '${task.taskId}'`);
    this.taskMap.set(task.taskId, task);
    this.specCache = null;
    this.structureCache = null;
    return task;
  }

  get tasks(): readonly T[] {
    return [...this.taskMap.values()];
  }

  getTask(taskId: string): T | undefined {
    return this.taskMap.get(taskId);
  }

  downstreamOf(taskId: string): readonly string[] {
    return this.structure().downstreamOf(taskId);
  }

  descendantsOf(taskId: string): readonly string[] {
    return this.structure().descendantsOf(taskId);
  }

  /** The validated graph with its walks (cached until a task is added). */
  structure(): DagStructure {
    this.structureCache ??= new DagStructure(this.toSpec());
    return this.structureCache;
  }

  /** Validates the graph and returns the DAG as plain data (cached until a task is added). */
  toSpec(): DagSpec {
    if (this.specCache) return this.specCache;
    const edges = new Map<string, Set<string>>();
    for (const task of this.taskMap.values()) {
      for (const other of task.linked) {
        if (this.taskMap.get(other.taskId) !== other) {
          throw new DagValidationError(
            `DAG '${this.dagId}': task '${task.taskId}' is linked to task '${other.taskId}', which is not in this DAG (add it with dag.add())`,
          );
        }
      }
      edges.set(task.taskId, new Set(task.downstreamIds));
    }
    const generations = validateGraph(this.dagId, edges);
    const tasks = generations.flat().map((id) => this.taskSpec(this.taskMap.get(id)!));
    const o = this.options;
    this.specCache = {
      dagId: this.dagId,
      description: o.description ?? '',
      tags: [...(o.tags ?? [])],
      schedule: o.schedule ?? null,
      startDate: this.startDate?.toISOString() ?? null,
      endDate: this.endDate?.toISOString() ?? null,
      catchup: o.catchup ?? false,
      maxActiveRuns: o.maxActiveRuns ?? 16,
      isPausedUponCreation: o.isPausedUponCreation ?? null,
      dagrunTimeoutMs: o.dagrunTimeout === undefined ? null : parseDuration(o.dagrunTimeout, 'dagrunTimeout'),
      params: { ...(o.params ?? {}) },
      owners: [...new Set(tasks.map((t) => t.owner))],
      tasks,
    };
    return this.specCache;
  }

  /** A task's options over the DAG's defaultArgs. */
  effectiveOptions(task: TaskNode): TaskOptions {
    return { ...this.options.defaultArgs, ...definedOnly(task.options), taskId: task.taskId };
  }

  private taskSpec(task: T): TaskSpec {
    const merged = this.effectiveOptions(task);
    const resolved = this.resolveTaskDefaults(merged, `DAG '${this.dagId}' task '${task.taskId}'`);
    return {
      taskId: task.taskId,
      operator: task.operatorName,
      ...resolved,
      upstream: [...task.upstreamIds].sort(),
      downstream: [...task.downstreamIds].sort(),
      doc: merged.doc ?? null,
    };
  }

  private resolveTaskDefaults(o: TaskDefaults, where: string) {
    const retries = o.retries ?? 0;
    if (!Number.isInteger(retries) || retries < 0)
      throw new DagValidationError(`${where}: retries must be a non-negative integer, got ${retries}`);
    const triggerRule = o.triggerRule ?? TriggerRule.ALL_SUCCESS;
    if (!isTriggerRule(triggerRule)) throw new DagValidationError(`${where}: unknown trigger rule '${String(triggerRule)}'`);
    const queue = o.queue ?? 'default';
    if (!QUEUE_NAME.test(queue)) throw new DagValidationError(`${where}: bad queue name '${queue}'`);
    const isolation = o.isolation ?? 'none';
    if (isolation !== 'none' && isolation !== 'process')
      throw new DagValidationError(`${where}: isolation must be 'none' or 'process', got '${String(isolation)}'`);
    return {
      owner: o.owner ?? 'updraft',
      triggerRule,
      queue,
      retries,
      retryDelayMs: parseDuration(o.retryDelay ?? DEFAULT_RETRY_DELAY, `${where} retryDelay`),
      retryExponentialBackoff: o.retryExponentialBackoff ?? false,
      maxRetryDelayMs: o.maxRetryDelay === undefined ? null : parseDuration(o.maxRetryDelay, `${where} maxRetryDelay`),
      executionTimeoutMs: o.executionTimeout === undefined ? null : parseDuration(o.executionTimeout, `${where} executionTimeout`),
      isolation,
    };
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** True for a Dag built by any copy of this module (brand check, not instanceof). */
export function isDag(value: unknown): value is Dag {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DAG_BRAND] === true;
}
