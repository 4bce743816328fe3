import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { DagRunType } from '../../models/states.ts';
import { inDagOrder, taskInstanceRow } from '../../operations/rows.ts';
import type { CliContext } from '../context.ts';
import { outputOption, parseConf, parseDateOption, printObject, printRows, type OutputFormat } from '../output.ts';
import { TI_COLUMNS } from '../render.ts';

/** `dags test`: one whole run in this process, no Redis. It imports the DAG file, so it parses the folder first. */
export function registerDagTestCommand(dags: Command, ctx: () => CliContext): void {
  dags
    .command('test <dag_id>')
    .description('run one DAG run in this process, no Redis; exit 1 if it fails')
    .option('--conf <json>', 'run conf (a JSON object)')
    .option('--logical-date <iso>', 'logical date of the run (default: now)')
    .option('--retry-delay-scale <factor>', 'multiply retry delays (0 retries at once)', '1')
    .addOption(outputOption())
    .action(async (dagId: string, o: { output: OutputFormat; conf?: string; logicalDate?: string; retryDelayScale: string }) => {
      const c = ctx();
      const conf = parseConf(o.conf);
      const scale = Number(o.retryDelayScale);
      if (!Number.isFinite(scale) || scale < 0)
        throw new InvalidInputError(`--retry-delay-scale must be a number >= 0, got '${o.retryDelayScale}'`);
      const logicalDate = o.logicalDate ? parseDateOption(o.logicalDate, '--logical-date') : c.clock.now();
      const [{ runDagRunLocally, localExecutorId }, { defaultRunId }] = await Promise.all([
        import('../../execution/local-executor.ts'),
        import('../../store/dag-run-repository.ts'),
      ]);
      const dag = await c.dag(dagId);
      const store = await c.store();
      const runId = defaultRunId(DagRunType.MANUAL, logicalDate);
      const run = await store.runs.create(
        dag.toSpec(),
        {
          runId,
          runType: DagRunType.MANUAL,
          logicalDate,
          conf,
          dataInterval: dag.timetable.manualDataInterval(logicalDate),
          // The run belongs to this process: a running scheduler never enqueues, retries or times it out.
          executor: localExecutorId(),
        },
        c.clock.now(),
      );
      if (!run)
        throw new InvalidInputError(
          `DAG '${dagId}' already has a run at logical date ${logicalDate.toISOString()}; pass another --logical-date`,
        );
      const state = await runDagRunLocally(store, dag, run, c.clock, {
        retryDelayScale: scale,
        echo: (line) => process.stderr.write(`${line}\n`),
      });
      const tries = inDagOrder(await store.tasks.allTries(dagId, runId), dag.toSpec());
      if (o.output === 'json') printObject({ dag_id: dagId, run_id: runId, state, task_instances: tries.map(taskInstanceRow) }, 'json');
      else {
        printRows(tries.map(taskInstanceRow), 'table', TI_COLUMNS);
        process.stdout.write(`DAG run ${runId}: ${state}\n`);
      }
      if (state !== 'success') process.exitCode = 1;
    });
}
