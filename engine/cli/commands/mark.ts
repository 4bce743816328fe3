import type { Command } from 'commander';
import { runRow } from '../../operations/rows.ts';
import type { StateChange } from '../../operations/mark-tries.ts';
import type { CliContext } from '../context.ts';
import { outputOption, printObject, printRows, type OutputFormat } from '../output.ts';

// Operations are imported inside the actions that use them (see main.ts).
type Out = { output: OutputFormat };
type Confirm = { dryRun?: boolean; yes?: boolean };

const CHANGE_COLUMNS = ['run_id', 'task_id', 'try_number', 'previous_state', 'new_state'];

/**
 * Asks before a change when a person is at the terminal (Airflow's CLI asks
 * before clearing); `-y` skips the question, and so does a script (no TTY).
 */
async function confirmed(question: string, o: Confirm): Promise<boolean> {
  if (o.yes || !process.stdin.isTTY) return true;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/n] `)).trim());
  } finally {
    rl.close();
  }
}

const describe = (changes: readonly StateChange[]): string =>
  changes.map((c) => `  ${c.ti.runId} ${c.ti.taskId} (try ${c.ti.tryNumber}): ${c.ti.state} -> ${c.to}`).join('\n');

/** `tasks set-state`: Airflow's "mark success / mark failed" on a task instance. */
export function registerTaskSetStateCommand(tasks: Command, ctx: () => CliContext): void {
  tasks
    .command('set-state <dag_id> <run_id> <task_id> <state>')
    .description("set a task instance's state from outside: success or failed (a running try is terminated)")
    .option('-u, --upstream', 'also every task upstream of it')
    .option('-d, --downstream', 'also every task downstream of it')
    .option('--future', 'also in the later runs of the DAG')
    .option('--past', 'also in the earlier runs of the DAG')
    .option('--dry-run', 'list the task instances that would change, change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(outputOption())
    .action(
      async (
        dagId: string,
        runId: string,
        taskId: string,
        stateArg: string,
        o: Out & Confirm & { upstream?: boolean; downstream?: boolean; future?: boolean; past?: boolean },
      ) => {
        const c = ctx();
        const [{ parseMarkableTaskState, stateChangeRow }, { setTaskInstanceState }] = await Promise.all([
          import('../../operations/mark-tries.ts'),
          import('../../operations/set-task-instance-state.ts'),
        ]);
        const state = parseMarkableTaskState(stateArg, `tasks set-state ${dagId} ${runId} ${taskId}`);
        const run = await c.run(dagId, runId);
        const dag = await c.dagRow(dagId);
        const store = await c.store();
        const request = { taskId, state, upstream: o.upstream, downstream: o.downstream, future: o.future, past: o.past };
        let changes = await setTaskInstanceState(store, dag, run, { ...request, dryRun: true }, c.clock.now());
        if (!o.dryRun && changes.length > 0) {
          if (!(await confirmed(`Set ${changes.length} task instance(s) to ${state}?\n${describe(changes)}\n`, o))) {
            process.stderr.write('Cancelled, nothing was changed\n');
            return;
          }
          changes = await setTaskInstanceState(store, dag, run, request, c.clock.now());
        }
        if (o.output === 'json') printRows(changes.map(stateChangeRow), 'json');
        else if (changes.length === 0) process.stdout.write(`Nothing to change: already ${state}\n`);
        else {
          printRows(changes.map(stateChangeRow), 'table', CHANGE_COLUMNS);
          process.stdout.write(
            o.dryRun
              ? `Dry run: ${changes.length} task instance(s) would be set to ${state}\n`
              : `Set ${changes.length} task instance(s) to ${state}\n`,
          );
        }
      },
    );
}

/** `dags set-state` and `dags delete-run`: a run marked success / failed / queued, or deleted. */
export function registerRunStateCommands(dags: Command, ctx: () => CliContext): void {
  dags
    .command('set-state <dag_id> <run_id> <state>')
    .description("set a run's state from outside: success, failed or queued (running tries are terminated)")
    .option('--dry-run', 'list the task instances that would change, change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, stateArg: string, o: Out & Confirm) => {
      const c = ctx();
      const [{ parseSettableRunState, stateChangeRow }, { setDagRunState }] = await Promise.all([
        import('../../operations/mark-tries.ts'),
        import('../../operations/set-dag-run-state.ts'),
      ]);
      const state = parseSettableRunState(stateArg, `dags set-state ${dagId} ${runId}`);
      const run = await c.run(dagId, runId);
      const dag = await c.dagRow(dagId);
      const store = await c.store();
      let result = await setDagRunState(store, dag, run, state, { dryRun: true }, c.clock.now());
      if (!o.dryRun) {
        const detail = result.changes.length > 0 ? ` and ${result.changes.length} task instance(s)\n${describe(result.changes)}\n` : '';
        if (!(await confirmed(`Set run ${runId} of DAG ${dagId} to ${state}${detail}?`, o))) {
          process.stderr.write('Cancelled, nothing was changed\n');
          return;
        }
        result = await setDagRunState(store, dag, run, state, {}, c.clock.now());
      }
      const rows = result.changes.map(stateChangeRow);
      if (o.output === 'json') {
        printObject({ dag_run: runRow(result.run), task_instances: rows }, 'json');
        return;
      }
      if (rows.length > 0) printRows(rows, 'table', CHANGE_COLUMNS);
      process.stdout.write(
        o.dryRun
          ? `Dry run: run ${runId} of DAG ${dagId} would be set to ${state} (now ${run.state}), ${rows.length} task instance(s) with it\n`
          : `Run ${runId} of DAG ${dagId}: ${result.run.state}; ${rows.length} task instance(s) set\n`,
      );
    });

  dags
    .command('delete-run <dag_id> <run_id>')
    .description('delete a run with its task instances, logs and XComs (a running try is terminated)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, o: Out & Confirm) => {
      const c = ctx();
      const run = await c.run(dagId, runId);
      if (!(await confirmed(`Delete run ${runId} of DAG ${dagId} (state ${run.state}) with its task instances, logs and XComs?`, o))) {
        process.stderr.write('Cancelled, nothing was deleted\n');
        return;
      }
      const { deleteDagRun } = await import('../../operations/delete-dag-run.ts');
      const tries = await deleteDagRun(await c.store(), run);
      if (o.output === 'json') printObject({ dag_id: dagId, run_id: runId, deleted: true, task_instances_deleted: tries }, 'json');
      else process.stdout.write(`Deleted run ${runId} of DAG ${dagId} (${tries} task instance tries)\n`);
    });
}
