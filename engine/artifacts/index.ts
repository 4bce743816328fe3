export type { ArtifactBackend, ArtifactBody, ArtifactInfo, ArtifactStore } from './interfaces.ts';
export { ArtifactAddressError, ArtifactCorruptError, ArtifactNotFoundError } from './errors.ts';
export { artifactKey } from './artifact-key.ts';
export { LocalArtifactStore, type LocalArtifactStoreOptions } from './local-artifact-store.ts';
export { PostgresArtifactStore, type PostgresArtifactStoreOptions } from './postgres-artifact-store.ts';
export { openArtifactStore, type ArtifactStoreOptions } from './open-artifact-store.ts';
