import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { CONFIG_FILES, currentProject, DEFAULT_PLUGINS } from '../config/updraft-home.ts';
import { ensureDagLoader } from '../runtime/dag-loader.ts';
import { PluginConflictError, PluginLoadError } from './errors.ts';
import type { LoadedPlugins, UpdraftPlugin } from './interfaces.ts';

/** Resolves from this checkout: `updraft/...` names are the running engine's own plugins (one engine instance per process). */
const engineRequire = createRequire(import.meta.url);
const NAME = /^[a-z][a-z0-9-]*$/;
/** The precompiled build this process runs, if any (set by bin/updraft.mjs). */
const compiled = (): { src: string; dist: string } | undefined =>
  (globalThis as Record<symbol, { src: string; dist: string } | undefined>)[Symbol.for('updraft.compiled')];

const loaded = new Map<string, Promise<LoadedPlugins>>();

/**
 * The plugins the project's config names (`"plugins": [...]` in
 * `updraft.config.json`), or {@link DEFAULT_PLUGINS} when it does not say or
 * there is no project. Loaded once per process and config.
 *
 * @throws {@link PluginLoadError} when one cannot be resolved, fails at import or is not a plugin.
 * @throws {@link PluginConflictError} when two share a name or a migration.
 */
export function loadPlugins(): Promise<LoadedPlugins> {
  const project = currentProject();
  const names = project?.plugins ?? DEFAULT_PLUGINS;
  const source = project?.plugins ? project.configFile! : `the default plugins (no "plugins" in ${project?.configFile ?? CONFIG_FILES[0]})`;
  let result = loaded.get(source);
  if (!result) {
    result = importAll(names, source, project?.configFile ?? null);
    loaded.set(source, result);
  }
  return result;
}

async function importAll(names: readonly string[], source: string, configFile: string | null): Promise<LoadedPlugins> {
  const plugins = await Promise.all(names.map((name) => importPlugin(name, source, configFile)));
  const seen = new Map<string, string>();
  for (const [i, plugin] of plugins.entries()) {
    const other = seen.get(plugin.name);
    if (other) throw new PluginConflictError(`plugins '${other}' and '${names[i]}' (named in ${source}) are both called '${plugin.name}'`);
    seen.set(plugin.name, names[i]!);
  }
  pluginMigrations(plugins);
  return { plugins, source };
}

/** `<name>/plugin`, resolved from the project (the config's folder), the engine's own (`updraft/...`) from this checkout. */
async function importPlugin(name: string, source: string, configFile: string | null): Promise<UpdraftPlugin> {
  const entry = `${name}/plugin`;
  const own = name === 'updraft' || name.startsWith('updraft/');
  let file: string | undefined;
  let reason = '';
  for (const require of own || !configFile ? [engineRequire] : [createRequire(configFile), engineRequire]) {
    try {
      file = require.resolve(entry);
      break;
    } catch (error) {
      reason ||= (error as Error).message;
    }
  }
  if (!file) throw new PluginLoadError(name, source, reason);
  let url = pathToFileURL(file).href;
  const build = compiled();
  if (build && url.startsWith(build.src) && url.endsWith('.ts')) url = `${build.dist}${url.slice(build.src.length, -3)}.js`;
  else if (url.endsWith('.ts')) await ensureDagLoader();
  let module: { default?: unknown };
  try {
    module = (await import(url)) as { default?: unknown };
  } catch (error) {
    throw new PluginLoadError(name, source, (error as Error).message ?? String(error));
  }
  const plugin = module.default as Partial<UpdraftPlugin> | undefined;
  if (typeof plugin !== 'object' || plugin === null || typeof plugin.name !== 'string' || !NAME.test(plugin.name)) {
    throw new PluginLoadError(name, source, `${entry} has no default export with a name matching ${NAME} (an UpdraftPlugin)`);
  }
  return plugin as UpdraftPlugin;
}

/** Every plugin's migrations in one record (the engine adds its own, engine/store/database.ts). */
export function pluginMigrations(plugins: readonly UpdraftPlugin[]): NonNullable<UpdraftPlugin['migrations']> {
  const all: Record<string, NonNullable<UpdraftPlugin['migrations']>[string]> = {};
  const owner = new Map<string, string>();
  for (const plugin of plugins) {
    for (const [name, migration] of Object.entries(plugin.migrations ?? {})) {
      if (owner.has(name)) throw new PluginConflictError(`migration '${name}' is in plugins '${owner.get(name)}' and '${plugin.name}'`);
      owner.set(name, plugin.name);
      all[name] = migration;
    }
  }
  return all;
}
