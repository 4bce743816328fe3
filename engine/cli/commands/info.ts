import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { DEFAULT_PLUGINS, resolveLayout } from '../../config/updraft-home.ts';
import type { CliContext } from '../context.ts';
import { outputOption, printRows, type OutputFormat } from '../output.ts';
// Every value printed passes the one redaction: no password or token, however it is spelled.
import { redact } from '../../logging/redact.ts';

const POSTGRES = /^postgres(ql)?:\/\//;

/**
 * Airflow's `airflow info`: where this command finds its home, DAG files,
 * store, artifacts and Redis, and which rule chose each. Reads configuration
 * only; it opens nothing, so it also answers when the store is unreachable.
 */
export function registerInfoCommand(program: Command, ctx: () => CliContext): void {
  program
    .command('info')
    .description('where the home, DAG folder, store, artifacts and Redis are, and why')
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat }, command: Command) => {
      const { dagsFolder } = command.optsWithGlobals<{ dagsFolder?: string }>();
      const layout = resolveLayout({ dagsFolder });
      const env = process.env;
      const database =
        env.UPDRAFT_DATABASE_URL && POSTGRES.test(env.UPDRAFT_DATABASE_URL)
          ? { value: redact(env.UPDRAFT_DATABASE_URL), source: 'UPDRAFT_DATABASE_URL' }
          : { value: pathToFileURL(join(layout.home.path, 'updraft.db')).href, source: 'SQLite under the home' };
      const artifacts = (await ctx().artifacts()).location;
      const artifactsSource = env.UPDRAFT_ARTIFACTS_URL
        ? 'UPDRAFT_ARTIFACTS_URL'
        : database.source === 'UPDRAFT_DATABASE_URL'
          ? "the store's PostgreSQL database"
          : 'artifacts/ under the home';
      const { redisUrl } = await import('../../queue/redis-connection.ts');
      const rows = [
        { setting: 'home', value: layout.home.path, source: layout.home.source },
        { setting: 'dags_folder', value: layout.dagsFolder.path, source: layout.dagsFolder.source },
        {
          setting: 'project',
          value: layout.project?.root ?? null,
          source: layout.project ? `found ${layout.project.marker}` : 'none at or above this folder',
        },
        {
          setting: 'plugins',
          value: (layout.project?.plugins ?? DEFAULT_PLUGINS).join(', ') || null,
          source: layout.project?.plugins ? layout.project.configFile! : 'default',
        },
        { setting: 'store', value: database.value, source: database.source },
        { setting: 'artifacts', value: redact(artifacts), source: artifactsSource },
        { setting: 'redis', value: redact(redisUrl()), source: env.REDIS_URL ? 'REDIS_URL' : 'default' },
      ];
      printRows(
        rows.map((row) => ({ ...row, value: row.value === null ? null : redact(row.value) })),
        o.output,
        ['setting', 'value', 'source'],
      );
    });
}
