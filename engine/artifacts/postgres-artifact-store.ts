import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { inChunks } from './artifact-body.ts';
import { keySegments } from './artifact-key.ts';
import { ArtifactAddressError, ArtifactCorruptError, ArtifactNotFoundError, digestMismatch } from './errors.ts';
import type { ArtifactBody, ArtifactInfo, ArtifactStore } from './interfaces.ts';

export interface PostgresArtifactStoreOptions {
  /** `postgres://...`: the database holding the `artifact` tables (migration 009 is applied on first use). */
  url: string;
  /** Bytes per stored chunk, one row each. @defaultValue 1 MiB */
  chunkSize?: number;
  /** Connections of this store's own pool. @defaultValue 4 */
  maxConnections?: number;
}

/** URIs of this backend: `postgres-artifact:///models/churn/<run>/model.json`; the database is the one UPDRAFT_ARTIFACTS_URL (or the store) names, so no password travels in a URI. */
export const POSTGRES_ARTIFACT_PREFIX = 'postgres-artifact:///';

/** Rows fetched per round trip while streaming: about 4 MiB of chunks. */
const READ_BYTES = 4 * 1024 * 1024;

/**
 * Artifacts in PostgreSQL, reachable from every host: one `artifact` row
 * (key, SHA-256, size, chunk count) and the bytes in `artifact_chunk` rows.
 * A write is one transaction (a reader sees the old artifact or the new one);
 * a read streams the chunks inside one repeatable-read snapshot, so an
 * overwrite committed meanwhile cannot mix two versions, and checks the
 * SHA-256 after the last chunk.
 */
export class PostgresArtifactStore implements ArtifactStore {
  readonly backend = 'postgres' as const;
  readonly location: string;
  private readonly chunkSize: number;
  private readonly pool: pg.Pool;
  private readonly db: Kysely<Database>;
  private ready: Promise<void> | null = null;

  constructor(options: PostgresArtifactStoreOptions) {
    const shown = new URL(options.url);
    shown.password = '';
    this.location = shown.toString();
    this.chunkSize = options.chunkSize ?? 1024 * 1024;
    // allowExitOnIdle: a CLI command that read one model must not wait for idle connections to time out.
    this.pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 4, allowExitOnIdle: true });
    // A worker keeps this pool for its life (offloaded XComs): an idle connection the server dropped must not crash it.
    this.pool.on('error', (error) =>
      process.emitWarning(`PostgreSQL artifact store connection lost (${error.message}); reconnecting on the next query`),
    );
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  uri(key: string): string {
    return POSTGRES_ARTIFACT_PREFIX + keySegments(key).map(encodeURIComponent).join('/');
  }

  async put(key: string, body: ArtifactBody): Promise<ArtifactInfo> {
    const uri = this.uri(key);
    await this.migrated();
    return this.db.transaction().execute(async (tx) => {
      // Writers of one key take turns; readers never wait (they read a snapshot).
      await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(tx);
      await tx.deleteFrom('artifact_chunk').where('key', '=', key).execute();
      const hash = createHash('sha256');
      let size = 0;
      let seq = 0;
      for await (const data of inChunks(body, this.chunkSize)) {
        hash.update(data);
        size += data.length;
        await tx.insertInto('artifact_chunk').values({ key, seq: seq++, data }).execute();
      }
      const row = { sha256: hash.digest('hex'), size, chunk_count: seq, created_at: new Date().toISOString() };
      await tx
        .insertInto('artifact')
        .values({ key, ...row })
        .onConflict((oc) => oc.column('key').doUpdateSet(row))
        .execute();
      return { uri, key, size, sha256: row.sha256 };
    });
  }

  async get(uri: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.stream(uri)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async *stream(uri: string): AsyncGenerator<Buffer> {
    const key = this.key(uri);
    await this.migrated();
    const client = await this.pool.connect();
    let open = false;
    let broken = false;
    try {
      await client.query('begin transaction isolation level repeatable read read only');
      open = true;
      const head = (
        await client.query<{ sha256: string; size: string; chunk_count: number }>(
          'select sha256, size, chunk_count from artifact where key = $1',
          [key],
        )
      ).rows[0];
      if (!head) throw new ArtifactNotFoundError(uri);
      const batch = Math.max(1, Math.floor(READ_BYTES / this.chunkSize));
      const hash = createHash('sha256');
      let size = 0;
      let next = 0;
      for (;;) {
        const { rows } = await client.query<{ seq: number; data: Buffer }>(
          'select seq, data from artifact_chunk where key = $1 and seq >= $2 order by seq limit $3',
          [key, next, batch],
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.seq !== next) throw new ArtifactCorruptError(uri, `chunk ${next} of ${head.chunk_count} is missing`);
          hash.update(row.data);
          size += row.data.length;
          next++;
          yield row.data;
        }
      }
      if (next !== head.chunk_count) throw new ArtifactCorruptError(uri, `${next} chunks stored, ${head.chunk_count} recorded`);
      const actual = hash.digest('hex');
      if (actual !== head.sha256 || size !== Number(head.size))
        throw new ArtifactCorruptError(uri, digestMismatch(head.sha256, actual, size, Number(head.size)));
      await client.query('commit');
      open = false;
    } catch (error) {
      broken = !(error instanceof ArtifactNotFoundError || error instanceof ArtifactCorruptError);
      throw error;
    } finally {
      // Also reached when the reader stops early: end the snapshot before the connection goes back.
      if (open) await client.query('rollback').catch(() => (broken = true));
      client.release(broken);
    }
  }

  async stat(uri: string): Promise<ArtifactInfo> {
    const key = this.key(uri);
    await this.migrated();
    const row = await this.db.selectFrom('artifact').select(['sha256', 'size']).where('key', '=', key).executeTakeFirst();
    if (!row) throw new ArtifactNotFoundError(uri);
    return { uri, key, size: Number(row.size), sha256: row.sha256 };
  }

  async list(prefix = ''): Promise<ArtifactInfo[]> {
    await this.migrated();
    // A prefix of a key, matched literally: LIKE's wildcards in it are escaped. Byte order, as the local backend lists.
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db
      .selectFrom('artifact')
      .select(['key', 'sha256', 'size'])
      .where('key', 'like', pattern)
      .orderBy(sql`key collate "C"`)
      .execute();
    return rows.map((r) => ({ uri: this.uri(r.key), key: r.key, size: Number(r.size), sha256: r.sha256 }));
  }

  async delete(uri: string): Promise<boolean> {
    const key = this.key(uri);
    await this.migrated();
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('artifact_chunk').where('key', '=', key).execute();
      const deleted = await tx.deleteFrom('artifact').where('key', '=', key).executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** The key of one of this backend's URIs; another backend's URI is an error naming it. */
  private key(uri: string): string {
    if (!uri.startsWith(POSTGRES_ARTIFACT_PREFIX)) {
      throw new ArtifactAddressError(
        `artifact ${uri} is not in a PostgreSQL artifact store (this host's artifact store is ${this.location}; see UPDRAFT_ARTIFACTS_URL)`,
      );
    }
    let key: string;
    try {
      key = uri.slice(POSTGRES_ARTIFACT_PREFIX.length).split('/').map(decodeURIComponent).join('/');
    } catch {
      throw new ArtifactAddressError(`artifact ${uri}: malformed URI`);
    }
    keySegments(key);
    return key;
  }

  /** The tables come from the store's migrations; an artifacts database apart from the store gets them on first use. */
  private migrated(): Promise<void> {
    this.ready ??= migrate(this.db).catch((error: unknown) => {
      this.ready = null; // try again on the next call (the server may come back)
      throw error;
    });
    return this.ready;
  }
}
