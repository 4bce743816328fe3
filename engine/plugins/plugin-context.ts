import type { ArtifactStore } from '../artifacts/interfaces.ts';
import { redact } from '../logging/redact.ts';
import type { PluginContext, PluginLogger, PluginRouteDeps, UpdraftPlugin } from './interfaces.ts';
import type { PluginStore } from './plugin-store.ts';

/** What a process has opened (or opens on first use) that a plugin may use. `CliContext` is one. */
export interface PluginResources {
  store(): Promise<PluginStore>;
  artifacts(): Promise<ArtifactStore>;
}

/** A {@link PluginContext} over `resources`: the plugin's view of what its process opened. */
export function pluginContext(pluginName: string, resources: PluginResources): PluginContext {
  return { store: () => resources.store(), artifacts: () => resources.artifacts(), log: stderrLog(pluginName) };
}

/** One line per call on stderr (stdout is a command's output), redacted as every other line the engine writes. */
export function stderrLog(pluginName: string): PluginLogger {
  const line =
    (level: string) =>
    (message: string): void =>
      void process.stderr.write(`${redact(`updraft: ${pluginName}: ${level}${message}`)}\n`);
  return { info: line(''), warn: line('warning: '), error: line('error: ') };
}

/**
 * The context of a plugin's task code (workers and `dags test` run many of its
 * tasks): one store and one artifact store per process, opened on first use,
 * the store with the plugin's tables even in a project whose config leaves
 * the plugin out (its DAG files import it all the same). Everything it opens
 * loads then, never at import: this module is part of the light plugin API.
 */
export function processPluginContext(plugin: UpdraftPlugin): PluginContext {
  let store: Promise<PluginStore> | null = null;
  let artifacts: Promise<ArtifactStore> | null = null;
  return pluginContext(plugin.name, {
    store: () => (store ??= openWith(plugin)),
    artifacts: () =>
      (artifacts ??= import('../artifacts/open-artifact-store.ts')
        .then(({ openArtifactStore }) => openArtifactStore())
        // A misconfigured UPDRAFT_ARTIFACTS_URL is said again on the next use, not remembered.
        .catch((error: unknown) => {
          artifacts = null;
          throw error;
        })),
  });
}

async function openWith(plugin: UpdraftPlugin): Promise<PluginStore> {
  const [{ loadPlugins }, { openStoreWithPlugins }] = await Promise.all([import('./load-plugins.ts'), import('./open-store.ts')]);
  const { plugins } = await loadPlugins();
  return openStoreWithPlugins({ plugins: plugins.some((p) => p.name === plugin.name) ? plugins : [...plugins, plugin] });
}

/** What the webserver hands every plugin's routes: its store, and one artifact store opened on first use, which `close` closes. */
export function pluginRouteDeps(store: PluginStore): { deps: PluginRouteDeps; close(): Promise<void> } {
  let artifacts: Promise<ArtifactStore> | null = null;
  const open = (): Promise<ArtifactStore> =>
    (artifacts ??= import('../artifacts/open-artifact-store.ts').then(({ openArtifactStore }) => openArtifactStore()));
  // One that failed to open has nothing to close.
  return { deps: { store, artifacts: open }, close: async () => (await artifacts?.catch(() => null))?.close() };
}
