import type { Command } from 'commander';
import { InvalidInputError, NotFoundError } from '../../models/errors.ts';
import { DagRunState, DagRunType, TaskInstanceState } from '../../models/states.ts';
import type { CliContext } from '../context.ts';
import { outputOption, parseConf, parseDateOption, parsePositiveInt, printObject, printRows, type OutputFormat } from '../output.ts';
import { inDagOrder, taskInstanceRow } from '../../operations/rows.ts';
import { TI_COLUMNS } from '../render.ts';
import type { TaskInstanceKey } from '../../models/task-instance-key.ts';
import type { Store } from '../../store/store.ts';

// The read commands take the store only; the task runner and clear logic are
// imported inside the actions that use them (see main.ts).
type Out = { output: OutputFormat };

export function registerTaskCommands(program: Command, ctx: () => CliContext): void {
  const tasks = program.command('tasks').description('inspect and run task instances');
  registerClearCommand(tasks, ctx);

  tasks
    .command('list <dag_id>')
    .description("a DAG's tasks in topological order")
    .addOption(outputOption())
    .action(async (dagId: string, o: Out) => {
      const { spec } = await ctx().storedDag(dagId);
      const rows = spec.tasks.map((t) => ({
        task_id: t.taskId,
        operator: t.operator,
        trigger_rule: t.triggerRule,
        queue: t.queue,
        retries: t.retries,
        isolation: t.isolation ?? 'none',
        upstream_task_ids: t.upstream,
        downstream_task_ids: t.downstream,
      }));
      printRows(rows, o.output, ['task_id', 'operator', 'trigger_rule', 'queue', 'retries', 'isolation']);
    });

  tasks
    .command('state <dag_id> <task_id> <run_id>')
    .description("the state of a task's latest try in a run")
    .addOption(outputOption())
    .action(async (dagId: string, taskId: string, runId: string, o: Out) => {
      const c = ctx();
      await c.run(dagId, runId);
      const latest = (await (await c.store()).tasks.latestTries(dagId, runId)).get(taskId);
      if (!latest) throw new NotFoundError(`run '${runId}' of DAG '${dagId}' has no task '${taskId}'`);
      if (o.output === 'json') printObject(taskInstanceRow(latest), 'json');
      else process.stdout.write(`${latest.state}\n`);
    });

  tasks
    .command('states-for-dag-run <dag_id> <run_id>')
    .description('every try of every task of a run')
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, o: Out) => {
      const c = ctx();
      await c.run(dagId, runId);
      const store = await c.store();
      const spec = (await store.dags.get(dagId))?.spec;
      const tries = inDagOrder(await store.tasks.allTries(dagId, runId), spec);
      printRows(tries.map(taskInstanceRow), o.output, TI_COLUMNS);
    });

  tasks
    .command('logs <dag_id> <run_id> <task_id>')
    .description("a task try's log")
    .option('--try <n>', 'try number (default: the latest)')
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, taskId: string, o: Out & { try?: string }) => {
      const c = ctx();
      await c.run(dagId, runId);
      const store = await c.store();
      const latest = (await store.tasks.latestTries(dagId, runId)).get(taskId);
      if (!latest) throw new NotFoundError(`run '${runId}' of DAG '${dagId}' has no task '${taskId}'`);
      const tryNumber = o.try === undefined ? latest.tryNumber : parsePositiveInt(o.try, '--try');
      if (tryNumber > latest.tryNumber) throw new NotFoundError(`task '${taskId}' has no try ${tryNumber} (latest is ${latest.tryNumber})`);
      await printLog(store, { dagId, runId, taskId, tryNumber }, o.output);
    });

  tasks
    .command('test <dag_id> <task_id>')
    .description('run one task alone, recording nothing')
    .option('--conf <json>', 'run conf (a JSON object)')
    .option('--logical-date <iso>', 'logical date (default: now)')
    .action(async (dagId: string, taskId: string, o: { conf?: string; logicalDate?: string }) => {
      const c = ctx();
      const conf = parseConf(o.conf);
      const [{ runTaskTry }, { defaultRunId }] = await Promise.all([
        import('../../execution/task-runner.ts'),
        import('../../store/dag-run-repository.ts'),
      ]);
      const dag = await c.dag(dagId);
      const spec = dag.toSpec().tasks.find((t) => t.taskId === taskId);
      if (!spec) throw new NotFoundError(`DAG '${dagId}' has no task '${taskId}'`);
      const logicalDate = o.logicalDate ? parseDateOption(o.logicalDate, '--logical-date') : c.clock.now();
      const interval = dag.timetable.manualDataInterval(logicalDate);
      const now = c.clock.now().toISOString();
      const run = {
        dagId,
        runId: defaultRunId(DagRunType.MANUAL, logicalDate),
        runType: DagRunType.MANUAL,
        logicalDate: logicalDate.toISOString(),
        dataIntervalStart: interval.start.toISOString(),
        dataIntervalEnd: interval.end.toISOString(),
        conf,
        state: DagRunState.RUNNING,
        queuedAt: now,
        startDate: now,
        endDate: null,
        executor: null,
      };
      const ti = {
        dagId,
        runId: run.runId,
        taskId,
        tryNumber: 1,
        state: TaskInstanceState.RUNNING,
        operator: spec.operator,
        queue: spec.queue,
        maxTries: 1,
        queuedAt: null,
        startDate: now,
        endDate: null,
        durationMs: null,
        hostname: null,
        workerId: null,
        error: null,
        updatedAt: now,
        retryPolicy: {
          retryDelayMs: spec.retryDelayMs,
          retryExponentialBackoff: spec.retryExponentialBackoff,
          maxRetryDelayMs: spec.maxRetryDelayMs,
        },
        queuedBy: null,
      };
      const outcome = await runTaskTry({
        store: await c.store(),
        dag,
        run,
        ti,
        clock: c.clock,
        dryRun: true,
        echo: (l) => process.stdout.write(`${l}\n`),
      });
      const error = 'error' in outcome ? outcome.error : null;
      process.stdout.write(`Task ${taskId}: ${outcome.state}${error ? ` (${error})` : ''}\n`);
      if (outcome.state !== TaskInstanceState.SUCCESS && outcome.state !== TaskInstanceState.SKIPPED) process.exitCode = 1;
    });
}

/**
 * Writes a try's log as it is read, a page at a time, waiting for stdout to
 * drain: a log of any length costs one page of memory, and `| head` ends quietly.
 */
async function printLog(store: Store, key: TaskInstanceKey, output: OutputFormat): Promise<void> {
  const { LOG_START, streamLog } = await import('../../store/task-log-pages.ts');
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const write = async (text: string): Promise<void> => {
    if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  };
  const pages = streamLog(store.db, key, LOG_START, 256 * 1024);
  if (output === 'json') {
    // printObject's layout, with the log string written as it is read.
    const whole = JSON.stringify(
      { dag_id: key.dagId, run_id: key.runId, task_id: key.taskId, try_number: key.tryNumber, log: '' },
      null,
      2,
    );
    const cut = whole.lastIndexOf('""') + 1;
    await write(whole.slice(0, cut));
    for await (const page of pages) await write(JSON.stringify(page).slice(1, -1));
    await write(`${whole.slice(cut)}\n`);
    return;
  }
  let empty = true;
  for await (const page of pages) {
    empty = false;
    await write(page);
  }
  if (empty) await write(`(no log for try ${key.tryNumber})\n`);
}

export function registerClearCommand(tasks: Command, ctx: () => CliContext): void {
  tasks
    .command('clear <dag_id> <run_id>')
    .description('run finished tasks of a run again, each as a new try')
    .option('-t, --task-regex <regex>', 'only tasks whose id matches')
    .option('-f, --only-failed', 'only failed and upstream_failed tasks')
    .option('-d, --downstream', 'also clear the tasks downstream of the matched ones')
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, o: Out & { taskRegex?: string; onlyFailed?: boolean; downstream?: boolean }) => {
      const c = ctx();
      let pattern: RegExp | null = null;
      try {
        pattern = o.taskRegex ? new RegExp(o.taskRegex) : null;
      } catch (error) {
        throw new InvalidInputError(`--task-regex: ${(error as Error).message}`);
      }
      const run = await c.run(dagId, runId);
      const dag = await c.dagRow(dagId);
      const { clearTaskInstances } = await import('../../operations/clear-task-instances.ts');
      const cleared = await clearTaskInstances(
        await c.store(),
        dag,
        run,
        {
          match: pattern ? (id) => pattern.test(id) : undefined,
          onlyFailed: o.onlyFailed,
          downstream: o.downstream,
        },
        c.clock.now(),
      );
      if (o.output === 'json') printRows(cleared, 'json');
      else
        process.stdout.write(
          cleared.length
            ? `Cleared ${cleared.length} task(s): ${cleared.map((t) => `${t.task_id} (next try ${t.try_number})`).join(', ')}\n`
            : 'Nothing to clear\n',
        );
    });
}
