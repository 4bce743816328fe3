import { Store, type StoreOptions } from '../store/store.ts';
import type { UpdraftPlugin } from './interfaces.ts';
import { loadPlugins, pluginMigrations } from './load-plugins.ts';

export interface PluginStoreOptions extends Omit<StoreOptions, 'pluginMigrations'> {
  /** The plugins whose migrations the store gets. @defaultValue those the project's config names ({@link loadPlugins}) */
  plugins?: readonly UpdraftPlugin[];
}

/**
 * Opens the store with the migrations of the project's plugins (or of
 * `plugins`): how every process opens it (CLI, scheduler, worker, webserver,
 * `dags test`). The store itself never loads plugins; this is the one place
 * that hands it theirs.
 */
export async function openStoreWithPlugins(options: PluginStoreOptions = {}): Promise<Store> {
  const { plugins = (await loadPlugins()).plugins, ...rest } = options;
  return Store.open({ ...rest, pluginMigrations: pluginMigrations(plugins) });
}
