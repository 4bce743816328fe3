import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { runRow } from '../../operations/rows.ts';
import type { CliContext } from '../context.ts';
import { registerDagBackfillCommand } from './dag-backfill.ts';
import { outputOption, parseConf, parseDateOption, printObject, type OutputFormat } from '../output.ts';

// Operations, the timetable and Redis are imported inside the actions that use them:
// a command loads only what it needs (see main.ts).
type Out = { output: OutputFormat };

export function registerDagRunCommands(dags: Command, ctx: () => CliContext): void {
  dags
    .command('trigger <dag_id>')
    .description('queue a manual run for the scheduler')
    .option('--conf <json>', 'run conf (a JSON object)')
    .option('--run-id <id>', 'run id (default manual__<logical date>)')
    .option('--logical-date <iso>', 'logical date (default: now)')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { conf?: string; runId?: string; logicalDate?: string }) => {
      const c = ctx();
      const conf = parseConf(o.conf);
      const { isRunId, triggerDagRun } = await import('../../operations/dag-commands.ts');
      if (o.runId !== undefined && !isRunId(o.runId))
        throw new InvalidInputError(`--run-id: bad run id '${o.runId}' (letters, digits, _ . ~ : + -)`);
      const logicalDate = o.logicalDate ? parseDateOption(o.logicalDate, '--logical-date') : undefined;
      const dag = await c.dagRow(dagId);
      const run = await triggerDagRun(await c.store(), dag, { runId: o.runId, conf, logicalDate }, c.clock.now());
      const runId = run.runId;
      if (o.output === 'json') printObject(runRow(run), 'json');
      else
        process.stdout.write(
          `Created run ${runId} of DAG ${dagId} (state ${run.state}${dag.isPaused ? '; the DAG is paused: unpause it to run' : ''})\n`,
        );
      // The run exists either way; only its start waits for the scheduler's next pass (a few seconds).
      if (run.schedulerNoticeFailed !== null) {
        process.stderr.write(
          `updraft: the scheduler could not be told at once (${run.schedulerNoticeFailed}); run ${runId} was created and a running scheduler finds it on its next pass\n`,
        );
      }
    });

  const pauseHelp = {
    pause: 'pause a DAG: it gets no new runs and starts none',
    unpause: 'unpause a DAG: due runs are created and started again',
  };
  for (const [verb, paused] of [
    ['pause', true],
    ['unpause', false],
  ] as const) {
    dags
      .command(`${verb} <dag_id>`)
      .description(pauseHelp[verb])
      .action(async (dagId: string) => {
        const c = ctx();
        await c.dagRow(dagId);
        const { setDagPaused } = await import('../../operations/dag-commands.ts');
        await setDagPaused(await c.store(), dagId, paused);
        process.stdout.write(`Dag: ${dagId}, paused: ${paused}\n`);
      });
  }

  dags
    .command('next-execution <dag_id>')
    .description('the next run the schedule will create')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out) => {
      const c = ctx();
      const dag = await c.storedDag(dagId);
      const { nextRunInfo } = await import('../../scheduler/run-creation.ts');
      const info = await nextRunInfo(await c.store(), dag.spec, c.clock.now());
      const row = {
        dag_id: dagId,
        next_logical_date: info?.logicalDate.toISOString() ?? null,
        data_interval_start: info?.dataInterval.start.toISOString() ?? null,
        data_interval_end: info?.dataInterval.end.toISOString() ?? null,
        run_after: info?.runAfter.toISOString() ?? null,
      };
      if (o.output === 'json') printObject(row, 'json');
      else process.stdout.write(`${row.next_logical_date ?? 'None'}\n`);
    });

  registerDagBackfillCommand(dags, ctx);
}
