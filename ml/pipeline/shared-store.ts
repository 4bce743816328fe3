import type { ArtifactStore } from '../../engine/artifacts/interfaces.ts';
import { openArtifactStore } from '../../engine/artifacts/open-artifact-store.ts';
import { Store } from '../../engine/store/store.ts';

let shared: Promise<Store> | null = null;
let artifacts: ArtifactStore | null = null;

/** One store per process for task code (workers and `dags test` run many tasks). */
export function sharedStore(): Promise<Store> {
  shared ??= Store.open();
  return shared;
}

/** One artifact store per process for task code, as configured by UPDRAFT_ARTIFACTS_URL (see openArtifactStore). */
export function sharedArtifacts(): ArtifactStore {
  artifacts ??= openArtifactStore();
  return artifacts;
}
