import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { outputOption, type OutputFormat } from '../output.ts';

/**
 * `updraft tasks xcom <dag_id> <run_id> <task_id>`: a task's XCom in a run, as
 * the REST API's xcomEntries answers it. An offloaded value is read from the
 * artifact store and printed as it was written (never parsed, so a large one
 * costs its bytes once).
 */
export function registerXComCommand(tasks: Command, ctx: () => CliContext): void {
  tasks
    .command('xcom <dag_id> <run_id> <task_id>')
    .description("a task's XCom value in a run (JSON)")
    .option('-k, --key <key>', 'XCom key', 'return_value')
    .addOption(outputOption())
    .action(async (dagId: string, runId: string, taskId: string, o: { key: string; output: OutputFormat }) => {
      const c = ctx();
      await c.run(dagId, runId);
      const { withValue, xcomEntry } = await import('../../operations/xcom-entries.ts');
      const { row, json } = await xcomEntry(await c.store(), dagId, runId, taskId, o.key);
      await new Promise<void>((done, fail) => {
        process.stdout.write(Buffer.concat([o.output === 'json' ? withValue(row, json) : json, Buffer.from('\n')]), (error) =>
          error ? fail(error) : done(),
        );
      });
    });
}
