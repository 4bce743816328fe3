import { relative } from 'node:path';
import type { Command } from 'commander';
import { runDagRunLocally } from '../../execution/local-executor.ts';
import { InvalidInputError } from '../../models/errors.ts';
import { DagRunType, isDagRunState, type DagRunState } from '../../models/states.ts';
import { defaultRunId } from '../../store/dag-run-repository.ts';
import type { CliContext } from '../context.ts';
import { outputOption, parseConf, parseDateOption, parsePositiveInt, printObject, printRows, type OutputFormat } from '../output.ts';
import { registerDagRunCommands } from './dag-runs.ts';
import { inDagOrder, runRow, taskInstanceRow } from '../../operations/rows.ts';
import { drawDag, TI_COLUMNS } from '../render.ts';

type Out = { output: OutputFormat };

export function registerDagCommands(program: Command, ctx: () => CliContext): void {
  const dags = program.command('dags').description('inspect and run DAGs');
  registerDagRunCommands(dags, ctx);

  dags.command('list').description('list the DAGs in the DAG folder').addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      await c.parse();
      const rows = (await (await c.store()).dags.list({ activeOnly: true })).map((d) => ({
        dag_id: d.dagId,
        fileloc: d.fileloc.startsWith(process.cwd()) ? relative(process.cwd(), d.fileloc) : d.fileloc,
        owners: d.spec.owners.join(','),
        schedule: d.spec.schedule,
        is_paused: d.isPaused,
        tags: d.spec.tags,
      }));
      printRows(rows, o.output);
    });

  dags.command('show <dag_id>').description('tasks, edges and a drawing of the graph').addOption(outputOption())
    .action(async (dagId: string, o: Out) => {
      const { spec, file } = await ctx().dagSpec(dagId);
      if (o.output === 'json') {
        printObject({ ...spec, fileloc: file, edges: spec.tasks.flatMap((t) => t.downstream.map((d) => [t.taskId, d])) }, 'json');
        return;
      }
      process.stdout.write(`DAG ${spec.dagId}  schedule=${spec.schedule ?? 'None'}  owners=${spec.owners.join(',')}\n${spec.description ? `${spec.description}\n` : ''}\n${drawDag(spec)}\n`);
    });

  dags.command('list-import-errors').description('DAG files that failed to load').addOption(outputOption())
    .action(async (o: Out) => {
      const parse = await ctx().parse();
      printRows(parse.importErrors.map((e) => ({ filepath: e.filename, error: e.message })), o.output, ['filepath', 'error']);
    });

  dags.command('list-runs <dag_id>').description('runs of a DAG, newest first')
    .option('--state <state>', 'only runs in this state (queued, running, success, failed)')
    .option('--limit <n>', 'at most this many runs')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { state?: string; limit?: string }) => {
      const c = ctx();
      await c.dagRow(dagId);
      if (o.state && !isDagRunState(o.state)) throw new InvalidInputError(`--state: unknown DAG run state '${o.state}'`);
      const limit = o.limit === undefined ? undefined : parsePositiveInt(o.limit, '--limit');
      const runs = await (await c.store()).runs.list(dagId, { state: o.state as DagRunState | undefined, limit });
      printRows(runs.map(runRow), o.output, ['dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'start_date', 'end_date']);
    });

  dags.command('state <dag_id> <run_id>').description("a run's state").addOption(outputOption())
    .action(async (dagId: string, runId: string, o: Out) => {
      const run = await ctx().run(dagId, runId);
      if (o.output === 'json') printObject(runRow(run), 'json');
      else process.stdout.write(`${run.state}\n`);
    });

  dags.command('test <dag_id>').description('run one DAG run in this process, no Redis; exit 1 if it fails')
    .option('--conf <json>', 'run conf (a JSON object)')
    .option('--logical-date <iso>', 'logical date of the run (default: now)')
    .option('--retry-delay-scale <factor>', 'multiply retry delays (0 retries at once)', '1')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { conf?: string; logicalDate?: string; retryDelayScale: string }) => {
      const c = ctx();
      const conf = parseConf(o.conf);
      const scale = Number(o.retryDelayScale);
      if (!Number.isFinite(scale) || scale < 0) throw new InvalidInputError(`--retry-delay-scale must be a number >= 0, got '${o.retryDelayScale}'`);
      const logicalDate = o.logicalDate ? parseDateOption(o.logicalDate, '--logical-date') : c.clock.now();
      const dag = await c.dag(dagId);
      const store = await c.store();
      const runId = defaultRunId(DagRunType.MANUAL, logicalDate);
      const run = await store.runs.create(dag.toSpec(), {
        runId, runType: DagRunType.MANUAL, logicalDate, conf, dataInterval: dag.timetable.manualDataInterval(logicalDate),
      }, c.clock.now());
      if (!run) throw new InvalidInputError(`DAG '${dagId}' already has a run at logical date ${logicalDate.toISOString()}; pass another --logical-date`);
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
