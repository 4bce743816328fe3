import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updraftHome } from '../config/updraft-home.ts';
import { redact } from '../logging/redact.ts';
import { ArtifactAddressError } from './errors.ts';
import type { ArtifactStore } from './interfaces.ts';
import { LocalArtifactStore } from './local-artifact-store.ts';
import { PostgresArtifactStore } from './postgres-artifact-store.ts';

export interface ArtifactStoreOptions {
  /**
   * `file:///path` for a directory, `postgres://...` for PostgreSQL.
   * @defaultValue `$UPDRAFT_ARTIFACTS_URL`; when unset, the store's PostgreSQL
   * database if the store is on PostgreSQL, else the directory `$UPDRAFT_HOME/artifacts`
   */
  url?: string;
  /** The store's URL, to follow it when `url` is unset. @defaultValue `$UPDRAFT_DATABASE_URL` */
  databaseUrl?: string;
  /** `$UPDRAFT_HOME`, holding the default directory. @defaultValue `$UPDRAFT_HOME`, else the project's `.updraft/`, else `~/updraft` */
  home?: string;
  /** Bytes per chunk (a PostgreSQL row; a read or write call in a directory). @defaultValue 1 MiB */
  chunkSize?: number;
}

const POSTGRES = /^postgres(ql)?:\/\//;

/**
 * The artifact store this process is configured for. Artifacts follow the
 * store by default: a PostgreSQL store (several hosts) keeps them in the same
 * database, so no host hands another a local path (ADR 10, docs/adr/0010-hosts-share-only-redis-store-and-artifacts.md); a SQLite
 * store (one host) keeps them in `$UPDRAFT_HOME/artifacts`.
 */
export function openArtifactStore(options: ArtifactStoreOptions = {}): ArtifactStore {
  // An empty variable means unset, as for UPDRAFT_HOME.
  const url = options.url || process.env.UPDRAFT_ARTIFACTS_URL || '';
  const chunkSize = options.chunkSize;
  if (url.startsWith('file:')) return new LocalArtifactStore({ root: fileURLToPath(url), chunkSize });
  if (POSTGRES.test(url)) return new PostgresArtifactStore({ url, chunkSize });
  if (url) throw new ArtifactAddressError(`UPDRAFT_ARTIFACTS_URL must be file:///<directory> or postgres://..., got '${redact(url)}'`);
  const databaseUrl = options.databaseUrl ?? process.env.UPDRAFT_DATABASE_URL ?? '';
  if (POSTGRES.test(databaseUrl)) return new PostgresArtifactStore({ url: databaseUrl, chunkSize });
  return new LocalArtifactStore({ root: join(updraftHome(options.home), 'artifacts'), chunkSize });
}
