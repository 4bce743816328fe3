import type { ArtifactStore } from '../../engine/artifacts/interfaces.ts';
import { openArtifactStore } from '../../engine/artifacts/open-artifact-store.ts';
import { loadPlugins } from '../../engine/plugins/load-plugins.ts';
import { openStoreWithPlugins } from '../../engine/plugins/open-store.ts';
import type { Store } from '../../engine/store/store.ts';
import mlPlugin from '../plugin.ts';

let shared: Promise<Store> | null = null;
let artifacts: ArtifactStore | null = null;

/**
 * One store per process for task code (workers and `dags test` run many tasks),
 * with the ML tables even in a project whose config leaves the ML plugin out.
 */
export function sharedStore(): Promise<Store> {
  shared ??= loadPlugins().then(({ plugins }) => openStoreWithPlugins({ plugins: plugins.some((p) => p.name === mlPlugin.name) ? plugins : [...plugins, mlPlugin] }));
  return shared;
}

/** One artifact store per process for task code, as configured by UPDRAFT_ARTIFACTS_URL (see openArtifactStore). */
export function sharedArtifacts(): ArtifactStore {
  artifacts ??= openArtifactStore();
  return artifacts;
}
