import { sep } from 'node:path';
import { relativeFileloc } from '../../dag-processing/dag-file-location.ts';
import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { isDagRunState, type DagRunState } from '../../models/states.ts';
import { runRow } from '../../operations/rows.ts';
import type { CliContext } from '../context.ts';
import { outputOption, parsePositiveInt, printObject, printRows, type OutputFormat } from '../output.ts';
import { parseStatusJson, parseStatusLine } from '../parse-status.ts';
import { drawDag } from '../render.ts';
import { registerDagRunCommands } from './dag-runs.ts';
import { registerDagTestCommand } from './dag-test.ts';

type Out = { output: OutputFormat };

const DAG_LIST_COLUMNS = ['dag_id', 'fileloc', 'owners', 'schedule', 'is_paused', 'tags'];

/** A file under the current folder as a relative path (`dags/x.ts`), any other as given: never an absolute path stripped of its leading '/'. */
function shownPath(file: string): string {
  return process.cwd() === sep ? file : (relativeFileloc(process.cwd(), file) ?? file);
}

/**
 * `dags ...`. The read commands here take the serialized DAGs and history
 * from the store and never import a DAG file (ADR 12, docs/adr/0012-readers-read-the-store.md): a hanging DAG
 * file cannot slow them. `dags reserialize` is the explicit refresh.
 */
export function registerDagCommands(program: Command, ctx: () => CliContext): void {
  const dags = program.command('dags').description('inspect and run DAGs');
  registerDagRunCommands(dags, ctx);

  dags
    .command('list')
    .description('list the DAGs of the DAG folder, as last parsed into the store')
    .addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      const parse = await c.ensureParsed();
      const folder = { folder_parsed_at: parse?.parsedAt ?? null, folder_parsed_by: parse?.parsedBy ?? null };
      const rows = (await (await c.store()).dags.list({ activeOnly: true })).map((d) => ({
        dag_id: d.dagId,
        fileloc: shownPath(d.fileloc),
        owners: d.spec.owners.join(','),
        schedule: d.spec.schedule,
        is_paused: d.isPaused,
        tags: d.spec.tags,
        last_parsed_at: d.lastParsedAt,
        ...folder,
      }));
      printRows(rows, o.output, DAG_LIST_COLUMNS);
      if (o.output === 'table')
        process.stderr.write(
          `${parse ? parseStatusLine(c.folderName, parse, c.clock.now()) : `DAG folder ${c.folderName} does not exist here and was never parsed into this store`}\n`,
        );
    });

  dags
    .command('reserialize')
    .description('parse the DAG folder now and write its DAGs and import errors to the store')
    .addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      await c.reserialize();
      const parse = (await c.lastParse())!;
      if (o.output === 'json') printObject(parseStatusJson(parse), 'json');
      else process.stdout.write(`${parseStatusLine(c.folderName, parse, c.clock.now())}\n`);
    });

  dags
    .command('report')
    .description("parse the DAG folder now and show each file's import time, slowest first (Airflow's DagBag report)")
    .addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      const parse = await c.reserialize();
      const rows = [...parse.fileStats]
        .sort((a, b) => b.durationMs - a.durationMs)
        .map((stat) => ({
          file: relativeFileloc(parse.folder, stat.file) ?? stat.file,
          duration_s: Number((stat.durationMs / 1000).toFixed(3)),
          dag_num: stat.dagIds.length,
          task_num: stat.dagIds.reduce((sum, id) => sum + (parse.dags.get(id)?.spec.tasks.length ?? 0), 0),
          dags: stat.dagIds.join(', '),
          error: stat.error,
        }));
      printRows(rows, o.output, ['file', 'duration_s', 'dag_num', 'task_num', 'dags']);
      if (o.output === 'table') {
        const failed = rows.filter((r) => r.error !== null).length;
        process.stderr.write(
          `${rows.length} file(s) parsed in ${(parse.durationMs / 1000).toFixed(1)} s${failed ? `; ${failed} failed to import: see 'updraft dags list-import-errors'` : ''}\n`,
        );
      }
    });

  dags
    .command('show <dag_id>')
    .description('tasks, edges and a drawing of the graph')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out) => {
      const { spec, fileloc } = await ctx().storedDag(dagId);
      if (o.output === 'json') {
        printObject({ ...spec, fileloc, edges: spec.tasks.flatMap((t) => t.downstream.map((d) => [t.taskId, d])) }, 'json');
        return;
      }
      process.stdout.write(
        `DAG ${spec.dagId}  schedule=${spec.schedule ?? 'None'}  owners=${spec.owners.join(',')}\n${spec.description ? `${spec.description}\n` : ''}\n${drawDag(spec)}\n`,
      );
    });

  dags
    .command('list-import-errors')
    .description('DAG files that failed to load at the last parse')
    .addOption(outputOption())
    .action(async (o: Out) => {
      const c = ctx();
      await c.ensureParsed();
      const errors = await (await c.store()).importErrors.list();
      printRows(
        errors.map((e) => ({ filepath: e.filename, error: e.message })),
        o.output,
        ['filepath', 'error'],
      );
    });

  dags
    .command('list-runs <dag_id>')
    .description('runs of a DAG, newest first')
    .option('--state <state>', 'only runs in this state (queued, running, success, failed)')
    .option('--limit <n>', 'at most this many runs')
    .addOption(outputOption())
    .action(async (dagId: string, o: Out & { state?: string; limit?: string }) => {
      const c = ctx();
      if (o.state && !isDagRunState(o.state)) throw new InvalidInputError(`--state: unknown DAG run state '${o.state}'`);
      const limit = o.limit === undefined ? undefined : parsePositiveInt(o.limit, '--limit');
      await c.storedDag(dagId);
      const runs = await (await c.store()).runs.list(dagId, { state: o.state as DagRunState | undefined, limit });
      printRows(runs.map(runRow), o.output, ['dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'start_date', 'end_date']);
    });

  dags
    .command('state <dag_id> <run_id>')
    .description("a run's state")
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, o: Out) => {
      const run = await ctx().run(dagId, runId);
      if (o.output === 'json') printObject(runRow(run), 'json');
      else process.stdout.write(`${run.state}\n`);
    });

  registerDagTestCommand(dags, ctx);
}
