import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { DagRunState } from '../../models/states.ts';
import type { CliContext } from '../context.ts';
import { outputOption, parseConf, parseDateOption, printRows, type OutputFormat } from '../output.ts';

type BackfillOptions = {
  output: OutputFormat;
  startDate: string;
  endDate: string;
  conf?: string;
  viaScheduler?: boolean;
  /** Undefined: wait when stderr is a terminal. */
  wait?: boolean;
  retryDelayScale: string;
};

/**
 * `dags backfill`: a `backfill` run per interval between two dates, executed
 * in this process (the runs are this process's, as with `dags test`) or handed
 * to the scheduler. A hand-off never hangs: it needs a live scheduler to start,
 * and the wait ends with one line when the scheduler, every worker or the DAG's
 * unpaused state goes away (engine/operations/scheduler-hand-off.ts).
 */
export function registerDagBackfillCommand(dags: Command, ctx: () => CliContext): void {
  dags
    .command('backfill <dag_id>')
    .description('create and run the runs of every interval between two dates')
    .requiredOption('-s, --start-date <iso>', 'first logical date')
    .requiredOption('-e, --end-date <iso>', 'last logical date (inclusive)')
    .option('--conf <json>', 'run conf for every run')
    .option('--via-scheduler', 'queue the runs for the scheduler and workers instead of running them here (needs a live scheduler)')
    .option('--wait', 'with --via-scheduler: wait until every run has finished (the default on a terminal)')
    .option('--no-wait', 'with --via-scheduler: hand the runs over and exit (the default off a terminal)')
    .option('--retry-delay-scale <factor>', 'multiply retry delays when running here', '1')
    .addOption(outputOption())
    .action(async (dagId: string, o: BackfillOptions) => {
      const c = ctx();
      const start = parseDateOption(o.startDate, '--start-date');
      const end = parseDateOption(o.endDate, '--end-date');
      if (o.wait !== undefined && !o.viaScheduler)
        throw new InvalidInputError(
          `--${o.wait ? '' : 'no-'}wait goes with --via-scheduler: runs executed here always finish before the command does`,
        );
      const conf = parseConf(o.conf);
      const dag = await c.dagRow(dagId);
      const store = await c.store();
      const [{ createBackfillRuns, notifyScheduler }, handOff] = await Promise.all([
        import('../../operations/dag-commands.ts'),
        import('../../operations/scheduler-hand-off.ts'),
      ]);
      if (o.viaScheduler) await handOff.assertSchedulerTakesRuns(store, dag);
      // Runs executed here belong to this process (a running scheduler leaves them alone); --via-scheduler hands them over.
      const executor = o.viaScheduler ? null : (await import('../../execution/local-executor.ts')).localExecutorId();
      const { runs, skipped } = await createBackfillRuns(store, dag, { start, end, conf, executor }, c.clock.now());
      const skippedNote = (): void =>
        void (skipped > 0 && process.stderr.write(`${skipped} interval(s) already had a run and were left alone\n`));
      const states = new Map<string, DagRunState>();
      const rows = (): Array<Record<string, unknown>> =>
        runs.map((r) => ({ run_id: r.runId, logical_date: r.logicalDate, state: states.get(r.runId) ?? r.state }));

      if (o.viaScheduler) {
        await notifyScheduler({ type: 'dag-changed', dagId });
        if (!(o.wait ?? process.stderr.isTTY)) {
          if (o.output === 'json') printRows(rows(), 'json');
          else
            process.stdout.write(
              `handed ${runs.length} run(s) of ${dagId} to the scheduler: ${runs.map((r) => r.runId).join(', ') || 'none'} ('updraft dags list-runs ${dagId}' shows them)\n`,
            );
          skippedNote();
          return;
        }
      }
      const bar = process.stderr.isTTY
        ? new (await import('cli-progress')).SingleBar({ format: `backfill ${dagId} [{bar}] {value}/{total} runs` })
        : null;
      bar?.start(runs.length, 0);
      try {
        if (o.viaScheduler) {
          // Ctrl-C ends the wait, not the runs: they are the scheduler's already.
          const interrupted = (): void => {
            bar?.stop();
            process.stderr.write(
              `updraft: stopped waiting; the ${runs.length} run(s) stay with the scheduler ('updraft dags list-runs ${dagId}' shows them)\n`,
            );
            process.exit(130);
          };
          process.once('SIGINT', interrupted);
          try {
            const finished = await handOff.waitForSchedulerRuns(
              store,
              dagId,
              runs.map((r) => r.runId),
              { onProgress: (n) => bar?.update(n) },
            );
            for (const [runId, state] of finished) states.set(runId, state);
          } finally {
            process.off('SIGINT', interrupted);
          }
        } else {
          const live = await c.dag(dagId);
          const { runDagRunLocally } = await import('../../execution/local-executor.ts');
          for (const run of runs) {
            states.set(run.runId, await runDagRunLocally(store, live, run, c.clock, { retryDelayScale: Number(o.retryDelayScale) }));
            bar?.update(states.size);
          }
        }
      } finally {
        bar?.stop();
      }
      printRows(rows(), o.output, ['run_id', 'logical_date', 'state']);
      skippedNote();
      if (rows().some((r) => r.state !== DagRunState.SUCCESS)) process.exitCode = 1;
    });
}
