import { Command, CommanderError } from 'commander';
import { dagsFolder } from '../dag-processing/dag-folder.ts';
import { UpdraftError } from '../models/errors.ts';
import { CliContext } from './context.ts';
import { registerDagCommands } from './commands/dags.ts';
import { registerTaskCommands } from './commands/tasks.ts';
import { registerProcessCommands } from './commands/processes.ts';
import { registerJobCommands } from './commands/jobs.ts';
import { registerArtifactCommands } from './commands/artifacts.ts';
import { registerCompletionCommand } from './commands/completion.ts';
import { registerRunStateCommands, registerTaskSetStateCommand } from './commands/mark.ts';
import { registerInfoCommand } from './commands/info.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerXComCommand } from './commands/xcom.ts';
import { createRequire } from 'node:module';
import type { UpdraftPlugin } from '../plugins/interfaces.ts';
import { loadPlugins } from '../plugins/load-plugins.ts';
import { pluginContext } from '../plugins/plugin-context.ts';
import { redact } from '../logging/redact.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('updraft')
  .description('Updraft: Airflow-style workflows in TypeScript, run by BullMQ workers (updraft --version prints the version)')
  .option('--dags-folder <path>', "folder of DAG files (default: env UPDRAFT_DAGS_FOLDER, else the project's dags/; see 'updraft info')")
  .showHelpAfterError(false)
  // commander's own errors ("error: unknown command ...") get the prefix every other error has.
  .configureOutput({
    outputError: (message, write) =>
      write(message.startsWith('error:') ? `updraft: ${withPluginHint(message.trimEnd().replace(/\n/g, ' '))}\n` : message),
  })
  .exitOverride();

/** An unknown top-level command may be a plugin's that this project does not load: say where plugins are named. */
function withPluginHint(message: string): string {
  const name = /^error: unknown command '([^']+)'/.exec(message)?.[1];
  // Top level when the unknown word comes before any known command (`dags lisst` is the dags command's).
  const topLevel =
    name !== undefined && process.argv.slice(2).find((arg) => arg === name || program.commands.some((c) => c.name() === arg)) === name;
  return topLevel
    ? `${message} (a plugin's commands appear when the project names it in "plugins" of updraft.config.json; 'updraft info' lists the loaded ones)`
    : message;
}

let context: CliContext | null = null;
const ctx = (): CliContext => (context ??= new CliContext(dagsFolder(program.opts<{ dagsFolder?: string }>().dagsFolder)));

// The plugins' commands (updraft.config.json "plugins"); one that cannot be loaded is the error of every command.
let plugins: readonly UpdraftPlugin[] = [];
try {
  plugins = (await loadPlugins()).plugins;
} catch (error) {
  process.stderr.write(`updraft: error: ${redact((error as Error).message)}\n`);
  process.exit(1);
}

registerDagCommands(program, ctx);
registerTaskCommands(program, ctx);
// Setting states from outside: `tasks set-state`, `dags set-state`, `dags delete-run`.
const subcommand = (name: string): Command => program.commands.find((c) => c.name() === name)!;
registerTaskSetStateCommand(subcommand('tasks'), ctx);
registerXComCommand(subcommand('tasks'), ctx);
registerRunStateCommands(subcommand('dags'), ctx);
registerProcessCommands(program, ctx);
// A plugin sees the command's store and artifact store through its own PluginContext, never the CliContext.
for (const plugin of plugins) plugin.registerCommands?.(program, () => pluginContext(plugin.name, ctx()));
registerJobCommands(program, ctx);
registerArtifactCommands(program, ctx);
registerCompletionCommand(program);
registerInitCommand(program);
registerInfoCommand(program, ctx);
program
  .command('version')
  .description('print the version')
  .action(() => void process.stdout.write(`${version}\n`));

let failed = false;
try {
  // Only as the first word: `models predict --version N` is the subcommand's own option.
  if (process.argv[2] === '--version' || process.argv[2] === '-V') process.argv.splice(2, 1, 'version');
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed its one-line message (or the help/version text)
    process.exitCode = error.exitCode;
  } else {
    failed = true;
    const known = error instanceof UpdraftError;
    process.stderr.write(`updraft: error: ${redact(known ? (error as Error).message : String((error as Error)?.stack ?? error))}\n`);
    process.exitCode = known ? 1 : 2;
  }
} finally {
  await (context as CliContext | null)?.close();
}
// A long-running command that failed while starting (a corrupt store found by the scheduler's first
// pass) may have left timers and connections behind: its one-line error is its last word.
if (failed) process.exit();
