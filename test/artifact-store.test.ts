import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  ArtifactAddressError, ArtifactCorruptError, ArtifactNotFoundError, LocalArtifactStore, openArtifactStore, PostgresArtifactStore, type ArtifactStore,
} from '../engine/artifacts/index.ts';
import { tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';

const available = await postgresAnswers();
// Under CI a missing PostgreSQL is a failure, not a skip (.ci/run starts the machine's server).
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

const CHUNK = 64 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** Asserts the promise rejects with `type`, in one line naming `uri`. */
async function rejectsNaming(promise: Promise<unknown>, type: new (...args: never[]) => Error, uri: string): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof type, `${error.name}: ${error.message}`);
    assert.ok(error.message.includes(uri), `names the URI: ${error.message}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

interface Backend {
  store: ArtifactStore;
  /** Overwrites `length` stored bytes of the artifact at `offset` with other bytes, behind the store's back. */
  tamper(uri: string, key: string, offset: number): Promise<void>;
  /** How many chunks the store holds for a key (PostgreSQL rows; local: reads of one stream). */
  chunks(uri: string, key: string): Promise<number>;
}

function behavesAsAnArtifactStore(name: string, make: () => Promise<Backend>, skip: string | false = false): void {
  describe(`${name} artifact store`, { skip }, () => {
    let backend: Backend;
    before(async () => (backend = await make()));
    after(() => backend?.store.close());

    it('round-trips a multi-chunk artifact, from a buffer and from a stream of odd-sized pieces', async () => {
      const { store } = backend;
      const bytes = randomBytes(5 * CHUNK + 1234);
      const info = await store.put('models/churn/run-1/model.json', bytes);
      assert.equal(info.uri, store.uri('models/churn/run-1/model.json'));
      assert.deepEqual([info.size, info.sha256], [bytes.length, sha256(bytes)]);
      assert.ok((await backend.chunks(info.uri, info.key)) >= 6, 'stored in several chunks');
      assert.ok((await store.get(info.uri)).equals(bytes));
      assert.deepEqual(await store.stat(info.uri), info);

      const pieces = Readable.from((function* () {
        for (let at = 0; at < bytes.length; at += 7777) yield bytes.subarray(at, at + 7777);
      })());
      const streamed = await store.put('datasets/churn/run:1+0/train.csv', pieces);
      assert.equal(streamed.sha256, sha256(bytes));
      const read: Buffer[] = [];
      for await (const chunk of store.stream(streamed.uri)) read.push(chunk);
      assert.ok(read.length > 1, 'read back in chunks');
      assert.ok(Buffer.concat(read).equals(bytes));
    });

    it('an overwrite replaces the whole artifact; a write that fails midway leaves the previous one', async () => {
      const { store } = backend;
      const key = 'serving/churn/model.json';
      await store.put(key, 'v1');
      const uri = (await store.put(key, randomBytes(3 * CHUNK))).uri;
      await store.put(key, 'v2');
      assert.equal((await store.get(uri)).toString(), 'v2');
      const failing = (async function* () {
        yield randomBytes(2 * CHUNK);
        throw new Error('disk on fire');
      })();
      await assert.rejects(store.put(key, failing), /disk on fire/);
      assert.equal((await store.get(uri)).toString(), 'v2', 'nothing half-written');
    });

    it('corrupted bytes: ArtifactCorruptError naming the URI; a missing artifact: ArtifactNotFoundError', async () => {
      const { store } = backend;
      const bytes = randomBytes(3 * CHUNK);
      const { uri, key } = await store.put('models/churn/run-2/model.json', bytes);
      await backend.tamper(uri, key, CHUNK + 10);
      await rejectsNaming(store.get(uri), ArtifactCorruptError, uri);
      // A streaming reader also learns it, at the end, before it can act on the bytes.
      await rejectsNaming((async () => {
        for await (const chunk of store.stream(uri)) void chunk;
      })(), ArtifactCorruptError, uri);

      const missing = store.uri('models/churn/nope/model.json');
      await rejectsNaming(store.get(missing), ArtifactNotFoundError, missing);
      await rejectsNaming(store.stat(missing), ArtifactNotFoundError, missing);
      assert.equal(await store.delete(uri), true);
      await rejectsNaming(store.get(uri), ArtifactNotFoundError, uri);
      assert.equal(await store.delete(uri), false);
    });

    it('refuses bad keys and other backends\' URIs', async () => {
      const { store } = backend;
      for (const key of ['../etc/passwd', 'a//b', '.hidden/x', 'models/.x', '']) assert.throws(() => store.uri(key), ArtifactAddressError, key);
      const foreign = store.backend === 'local' ? 'postgres-artifact:///models/x' : 'file:///tmp/models/x';
      await rejectsNaming(store.get(foreign), ArtifactAddressError, foreign);
    });
  });
}

behavesAsAnArtifactStore('local directory', async () => {
  const store = new LocalArtifactStore({ root: tempDir('updraft-artifacts-'), chunkSize: CHUNK });
  return {
    store,
    tamper: async (uri, _key, offset) => {
      // Writing through the key's path changes the content file the link points at.
      const path = fileURLToPath(uri);
      const bytes = await store.get(uri);
      bytes[offset] = bytes[offset]! ^ 0xff;
      writeFileSync(path, bytes);
      assert.deepEqual(readdirSync(dirname(path)).filter((f) => f.endsWith('.tmp') || f.endsWith('.link')), [], 'no temporary files left');
    },
    chunks: async (uri) => {
      let n = 0;
      for await (const chunk of store.stream(uri)) n += chunk.length > 0 ? 1 : 0;
      return n;
    },
  };
});

let database: ThrowawayDatabase | undefined;
after(() => database?.drop());
behavesAsAnArtifactStore('PostgreSQL', async () => {
  database = await throwawayDatabase('updraft_artifacts');
  const url = database.url;
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    store: new PostgresArtifactStore({ url, chunkSize: CHUNK }),
    tamper: async (_uri, key, offset) => {
      const seq = Math.floor(offset / CHUNK);
      await query('update artifact_chunk set data = overlay(data placing $3 from $4) where key = $1 and seq = $2', [key, seq, Buffer.from('XYZ'), (offset % CHUNK) + 1]);
    },
    chunks: async (_uri, key) => Number((await query<{ n: string }>('select count(*) as n from artifact_chunk where key = $1', [key]))[0]!.n),
  };
}, available ? false : `no PostgreSQL answers at ${ADMIN_URL}`);

describe('UPDRAFT_ARTIFACTS_URL', () => {
  it('chooses the backend: a file: URL, a postgres: URL, else the store\'s PostgreSQL, else $UPDRAFT_HOME/artifacts', async () => {
    const home = tempDir();
    const pgUrl = 'postgres://u:secret@db.example:5432/updraft';
    const cases: Array<[Parameters<typeof openArtifactStore>[0], string, string]> = [
      [{ url: `file://${home}/shared`, home }, 'local', join(home, 'shared')],
      [{ url: pgUrl, home }, 'postgres', 'postgres://u@db.example:5432/updraft'],
      [{ databaseUrl: pgUrl, home }, 'postgres', 'postgres://u@db.example:5432/updraft'],
      [{ databaseUrl: '', home }, 'local', join(home, 'artifacts')],
    ];
    for (const [options, backend, location] of cases) {
      const store = openArtifactStore(options);
      assert.deepEqual([store.backend, store.location], [backend, location], JSON.stringify(options));
      await store.close();
    }
    assert.throws(() => openArtifactStore({ url: 's3://bucket' }), /UPDRAFT_ARTIFACTS_URL must be file:/);
  });
});
