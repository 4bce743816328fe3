/**
 * The artifact store (ADR 10, docs/adr/0010-hosts-share-only-redis-store-and-artifacts.md): everything one task hands to
 * another — trained models, data sets, reports — travels as an artifact URI,
 * never as a local path, so the reading task may run on another host.
 *
 * An artifact is written once per `put` under a key (`models/churn/<run>/model.json`);
 * the store answers with its URI, which the store records and any host with the
 * same `UPDRAFT_ARTIFACTS_URL` can read. Every artifact carries the SHA-256 of
 * its bytes, recorded in the same atomic step as the bytes and verified on
 * every read.
 */

/** Bytes to store: a whole buffer or string (UTF-8), or a stream of chunks (a `Readable` is one). */
export type ArtifactBody = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** What the store recorded about one artifact. */
export interface ArtifactInfo {
  /** The address every host uses for this artifact. */
  uri: string;
  /** The key it was written under, e.g. `models/churn/<run>/model.json`. */
  key: string;
  /** Bytes. */
  size: number;
  /** Hex SHA-256 of the bytes, recorded at write time. */
  sha256: string;
}

/** Which backend holds the artifacts: a directory (one host or a shared mount) or PostgreSQL (every host reaches it). */
export type ArtifactBackend = 'local' | 'postgres';

export interface ArtifactStore {
  readonly backend: ArtifactBackend;
  /** Where this store writes, for messages (never a password). */
  readonly location: string;

  /** The URI an artifact written under `key` gets (whether or not it exists yet). */
  uri(key: string): string;

  /**
   * Writes `body` under `key`, replacing what was there, atomically: a reader
   * sees the old artifact or the new one, never a part of either, and a
   * writer that dies midway leaves the old one in place.
   */
  put(key: string, body: ArtifactBody): Promise<ArtifactInfo>;

  /**
   * The whole artifact, verified: resolves only when the bytes match the
   * recorded SHA-256. Throws ArtifactNotFoundError or ArtifactCorruptError,
   * each naming the URI.
   */
  get(uri: string): Promise<Buffer>;

  /**
   * The artifact as a stream of chunks, for artifacts too large to hold in
   * memory. The SHA-256 is checked after the last chunk: the iteration throws
   * ArtifactCorruptError there, so act on the bytes only once it has ended.
   */
  stream(uri: string): AsyncIterable<Buffer>;

  /** The recorded size and SHA-256, without reading (nor verifying) the bytes. Throws ArtifactNotFoundError. */
  stat(uri: string): Promise<ArtifactInfo>;

  /**
   * The artifacts whose key starts with `prefix` (whole segments or not:
   * `models/ch` lists `models/churn/...`), in key order, from their records
   * (bytes are neither read nor verified). @defaultValue every artifact
   */
  list(prefix?: string): Promise<ArtifactInfo[]>;

  /** Removes the artifact; false when there was none. */
  delete(uri: string): Promise<boolean>;

  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
