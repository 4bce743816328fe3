import { type ArtifactStore, processPluginContext } from '../../engine/plugin-api.ts';
import mlPlugin from '../plugin.ts';
import type { MlStore } from '../store/schema.ts';

/**
 * Task code's store and artifact store: one of each per process (workers and
 * `dags test` run many tasks), the store with the ML tables even in a project
 * whose config leaves the ML plugin out.
 */
const context = processPluginContext(mlPlugin);

export const sharedStore = (): Promise<MlStore> => context.store();

/** As configured by UPDRAFT_ARTIFACTS_URL (see the engine's openArtifactStore). */
export const sharedArtifacts = (): Promise<ArtifactStore> => context.artifacts();
