import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { DagRunState, DagRunType, FINISHED_DAG_RUN_STATES } from '../../models/states.ts';
import { runRow } from '../../operations/rows.ts';
import type { DagRun } from '../../store/dag-run-repository.ts';
import type { CliContext } from '../context.ts';
import { outputOption, parseConf, parseDateOption, printObject, printRows, type OutputFormat } from '../output.ts';

// Operations, the timetable and Redis are imported inside the actions that use them:
// a command loads only what it needs (see main.ts).
type Out = { output: OutputFormat };

export function registerDagRunCommands(dags: Command, ctx: () => CliContext): void {
  dags.command('trigger <dag_id>').description('queue a manual run for the scheduler')
    .option('--conf <json>', 'run conf (a JSON object)')
    .option('--run-id <id>', 'run id (default manual__<logical date>)')
    .option('--logical-date <iso>', 'logical date (default: now)')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { conf?: string; runId?: string; logicalDate?: string }) => {
      const c = ctx();
      const conf = parseConf(o.conf);
      const { isRunId, triggerDagRun } = await import('../../operations/dag-commands.ts');
      if (o.runId !== undefined && !isRunId(o.runId)) throw new InvalidInputError(`--run-id: bad run id '${o.runId}' (letters, digits, _ . ~ : + -)`);
      const logicalDate = o.logicalDate ? parseDateOption(o.logicalDate, '--logical-date') : undefined;
      const dag = await c.dagRow(dagId);
      const run = await triggerDagRun(await c.store(), dag, { runId: o.runId, conf, logicalDate }, c.clock.now());
      const runId = run.runId;
      if (o.output === 'json') printObject(runRow(run), 'json');
      else process.stdout.write(`Created run ${runId} of DAG ${dagId} (state ${run.state}${dag.isPaused ? '; the DAG is paused: unpause it to run' : ''})\n`);
    });

  const pauseHelp = { pause: 'pause a DAG: it gets no new runs and starts none', unpause: 'unpause a DAG: due runs are created and started again' };
  for (const [verb, paused] of [['pause', true], ['unpause', false]] as const) {
    dags.command(`${verb} <dag_id>`).description(pauseHelp[verb])
      .action(async (dagId: string) => {
        const c = ctx();
        await c.dagRow(dagId);
        const { setDagPaused } = await import('../../operations/dag-commands.ts');
        await setDagPaused(await c.store(), dagId, paused);
        process.stdout.write(`Dag: ${dagId}, paused: ${paused}\n`);
      });
  }

  dags.command('next-execution <dag_id>').description('the next run the schedule will create').addOption(outputOption())
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

  dags.command('backfill <dag_id>').description('create and run the runs of every interval between two dates')
    .requiredOption('-s, --start-date <iso>', 'first logical date')
    .requiredOption('-e, --end-date <iso>', 'last logical date (inclusive)')
    .option('--conf <json>', 'run conf for every run')
    .option('--via-scheduler', 'queue the runs for the scheduler and workers instead of running them here')
    .option('--retry-delay-scale <factor>', 'multiply retry delays when running here', '1')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { startDate: string; endDate: string; conf?: string; viaScheduler?: boolean; retryDelayScale: string }) => {
      const c = ctx();
      const start = parseDateOption(o.startDate, '--start-date');
      const end = parseDateOption(o.endDate, '--end-date');
      if (end < start) throw new InvalidInputError('--end-date is before --start-date');
      const conf = parseConf(o.conf);
      const dag = await c.dagRow(dagId);
      if (!dag.spec.schedule || dag.spec.schedule === '@once') throw new InvalidInputError(`DAG '${dagId}' has no periodic schedule to backfill`);
      const [{ createTimetable }, { defaultRunId }] = await Promise.all([import('../../models/timetable.ts'), import('../../store/dag-run-repository.ts')]);
      const timetable = createTimetable(dag.spec.schedule, `DAG '${dagId}'`);
      const store = await c.store();
      // Runs executed here belong to this process (a running scheduler leaves them alone); --via-scheduler hands them over.
      const executor = o.viaScheduler ? null : (await import('../../execution/local-executor.ts')).localExecutorId();
      const runs: DagRun[] = [];
      let skipped = 0;
      for (let last: { start: Date; end: Date } | null = null; ;) {
        const info = timetable.nextDagRunInfo(last, { earliest: start, latest: end, catchup: true }, new Date(8.64e15));
        if (!info) break;
        last = info.dataInterval;
        const run = await store.runs.create(dag.spec, { runId: defaultRunId(DagRunType.BACKFILL, info.logicalDate), runType: DagRunType.BACKFILL, logicalDate: info.logicalDate, dataInterval: info.dataInterval, conf, executor }, c.clock.now());
        if (run) runs.push(run);
        else skipped++;
      }
      const bar = process.stderr.isTTY ? new (await import('cli-progress')).SingleBar({ format: `backfill ${dagId} [{bar}] {value}/{total} runs` }) : null;
      bar?.start(runs.length, 0);
      const states = new Map<string, DagRunState>();
      if (o.viaScheduler) {
        const { notifyScheduler } = await import('../../operations/dag-commands.ts');
        await notifyScheduler({ type: 'dag-changed', dagId });
        while (states.size < runs.length) {
          for (const run of runs) {
            const current = await store.runs.get(dagId, run.runId);
            if (current && FINISHED_DAG_RUN_STATES.has(current.state)) states.set(run.runId, current.state);
          }
          bar?.update(states.size);
          if (states.size < runs.length) await new Promise((r) => setTimeout(r, 500));
        }
      } else {
        const live = await c.dag(dagId);
        const { runDagRunLocally } = await import('../../execution/local-executor.ts');
        for (const run of runs) {
          states.set(run.runId, await runDagRunLocally(store, live, run, c.clock, { retryDelayScale: Number(o.retryDelayScale) }));
          bar?.update(states.size);
        }
      }
      bar?.stop();
      const rows = runs.map((r) => ({ run_id: r.runId, logical_date: r.logicalDate, state: states.get(r.runId) }));
      printRows(rows, o.output, ['run_id', 'logical_date', 'state']);
      if (skipped > 0) process.stderr.write(`${skipped} interval(s) already had a run and were left alone\n`);
      if (rows.some((r) => r.state !== DagRunState.SUCCESS)) process.exitCode = 1;
    });
}
