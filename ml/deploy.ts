import type { ArtifactStore } from '../engine/plugin-api.ts';
import type { MlStore } from './store/schema.ts';
import { assertModelName, ModelRegistry, type ModelVersion } from './registry/model-registry.ts';
import { readModel } from './training/train-model.ts';

export interface Deployment {
  name: string;
  /** The version serving now. */
  current: number;
  /** The version that served before (the same when it already served; null for the first). */
  previous: number | null;
  /** The serving model, in the artifact store. */
  artifactUri: string;
}

/**
 * Makes a version the serving model. The serving model is the registry's
 * Production version, and every host serves it from its artifact URI; so
 * deploying reads that artifact through the artifact store first (its SHA-256
 * verified, its JSON a model) and only then promotes, in one transaction. A
 * missing or corrupt artifact throws its one-line error naming the URI before
 * anything changed: the previous version keeps serving.
 *
 * @param target - a version number, or `'previous'` for a rollback.
 */
export async function deployVersion(
  store: MlStore,
  artifacts: ArtifactStore,
  name: string,
  target: number | 'previous',
  reason: string,
): Promise<Deployment> {
  assertModelName(name);
  const registry = new ModelRegistry(store);
  let version: ModelVersion;
  if (target === 'previous') {
    const rollback = await registry.rollbackTarget(name);
    version = await registry.version(name, rollback.target);
    reason = `${reason} from v${rollback.current}`;
  } else {
    version = await registry.version(name, target);
  }
  await readModel(artifacts, version.artifactUri);
  const { previous, current } = await registry.promote(name, version.version, reason);
  return { name, current, previous, artifactUri: version.artifactUri };
}

/** The serving model of `name` (or a given version): its registry entry and the model read, verified, from the artifact store. */
export async function servingModel(
  store: MlStore,
  artifacts: ArtifactStore,
  name: string,
  version?: number,
): Promise<{ version: ModelVersion; model: Awaited<ReturnType<typeof readModel>> } | null> {
  assertModelName(name);
  const registry = new ModelRegistry(store);
  const chosen = version === undefined ? await registry.production(name) : await registry.version(name, version);
  if (!chosen) return null;
  return { version: chosen, model: await readModel(artifacts, chosen.artifactUri) };
}
