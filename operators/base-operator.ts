import type { TaskContext, XComSource } from '../engine/models/task-context.ts';
import type { TaskOptions } from '../engine/models/interfaces.ts';
import type { DagGraph, TaskNode } from '../engine/models/task-node.ts';

/** Anything a dependency method accepts: one task or a list (fan-out / fan-in). */
export type TaskOrList = BaseOperator | readonly BaseOperator[];

/**
 * A task in a DAG. Subclasses implement `execute`; what they return is the
 * task's XCom value. Dependencies: `a.to(b)` (b runs after a) returns `b`, so
 * `a.to(b).to(c)` reads left to right; pass a list to fan out or in.
 * (No method is named `then`: a task must never look like a Promise.)
 */
export abstract class BaseOperator<R = unknown> implements TaskNode<R>, XComSource<R> {
  declare readonly __xcom?: R;
  /** Short operator kind stored with each task instance, e.g. `bash`. */
  abstract readonly operatorName: string;
  /** False for operators that never read upstream XComs: the runner then skips loading them. */
  readonly readsXCom: boolean = true;
  readonly taskId: string;
  readonly options: Readonly<TaskOptions>;
  readonly upstreamIds = new Set<string>();
  readonly downstreamIds = new Set<string>();
  /** Tasks linked by `to`/`from`, kept so that a DAG can tell a foreign task from its own. */
  readonly linked = new Set<BaseOperator>();

  constructor(options: TaskOptions) {
    this.taskId = options.taskId;
    this.options = options;
  }

  /** Runs one try. */
  abstract execute(context: TaskContext): Promise<R> | R;

  /** Task ids to mark skipped after a successful try (branching, short-circuit). */
  tasksToSkip(_result: R, _graph: DagGraph): string[] {
    return [];
  }

  /** Makes `downstream` run after this task; returns `downstream` for chaining. */
  to<T extends TaskOrList>(downstream: T): T {
    for (const task of toList(downstream)) link(this, task);
    return downstream;
  }

  /** Makes this task run after `upstream`; returns `upstream`. */
  from<T extends TaskOrList>(upstream: T): T {
    for (const task of toList(upstream)) link(task, this);
    return upstream;
  }
}

/**
 * Airflow's `SkipMixin.skip_all_except`: the direct downstream tasks of
 * `taskId` to skip when it follows `follow`. A direct downstream task that is
 * also downstream of a followed task is kept (branch → join with branch →
 * task1 → join: following task1 runs the join too).
 */
export function skipAllExcept(taskId: string, follow: readonly string[], graph: DagGraph): string[] {
  const kept = new Set(follow);
  for (const id of follow) for (const descendant of graph.descendantsOf(id)) kept.add(descendant);
  return graph.downstreamOf(taskId).filter((id) => !kept.has(id));
}

function toList(tasks: TaskOrList): readonly BaseOperator[] {
  return Array.isArray(tasks) ? (tasks as readonly BaseOperator[]) : [tasks as BaseOperator];
}

function link(upstream: BaseOperator, downstream: BaseOperator): void {
  upstream.downstreamIds.add(downstream.taskId);
  downstream.upstreamIds.add(upstream.taskId);
  upstream.linked.add(downstream);
  downstream.linked.add(upstream);
}

/**
 * `chain(a, [b, c], d)`: a → b, a → c, b → d, c → d. Adjacent lists of equal
 * length are linked pairwise, as Airflow's `chain`.
 */
export function chain(...steps: TaskOrList[]): void {
  for (let i = 1; i < steps.length; i++) {
    const previous = steps[i - 1]!;
    const next = steps[i]!;
    if (Array.isArray(previous) && Array.isArray(next)) {
      if (previous.length !== next.length) {
        throw new Error(`chain: lists of different lengths (${previous.length} and ${next.length}) cannot be linked pairwise`);
      }
      previous.forEach((task: BaseOperator, j: number) => {
        task.to(next[j] as BaseOperator);
      });
    } else {
      for (const task of toList(previous)) task.to(next);
    }
  }
}
