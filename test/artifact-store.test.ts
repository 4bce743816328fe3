import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  ArtifactAddressError,
  ArtifactCorruptError,
  ArtifactNotFoundError,
  LocalArtifactStore,
  openArtifactStore,
  PostgresArtifactStore,
  type ArtifactStore,
} from '../engine/artifacts/index.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { cliJson, REPO, runCli, tempDir } from './helpers/cli.ts';
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

      const pieces = Readable.from(
        (function* () {
          for (let at = 0; at < bytes.length; at += 7777) yield bytes.subarray(at, at + 7777);
        })(),
      );
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
      await rejectsNaming(
        (async () => {
          for await (const chunk of store.stream(uri)) void chunk;
        })(),
        ArtifactCorruptError,
        uri,
      );

      const missing = store.uri('models/churn/nope/model.json');
      await rejectsNaming(store.get(missing), ArtifactNotFoundError, missing);
      await rejectsNaming(store.stat(missing), ArtifactNotFoundError, missing);
      assert.equal(await store.delete(uri), true);
      await rejectsNaming(store.get(uri), ArtifactNotFoundError, uri);
      assert.equal(await store.delete(uri), false);
    });

    it('lists by key prefix, in key order, wildcards taken literally', async () => {
      const { store } = backend;
      for (const key of ['listing/b_1/x.csv', 'listing/bX1/y.csv', 'listing/a/z.csv', 'listing/bb/w.csv', 'listed/q.csv'])
        await store.put(key, key);
      const keys = async (prefix?: string): Promise<string[]> => (await store.list(prefix)).map((a) => a.key);
      const listing = ['listing/a/z.csv', 'listing/bX1/y.csv', 'listing/b_1/x.csv', 'listing/bb/w.csv'];
      assert.deepEqual(await keys('listing/'), listing);
      assert.deepEqual(await keys('listing/b_'), ['listing/b_1/x.csv'], "'_' is not a wildcard");
      assert.deepEqual(await keys('listing/b%'), [], "'%' is not a wildcard");
      assert.deepEqual(await keys('listin'), listing, 'a prefix need not end at a segment');
      assert.deepEqual(await keys('nothing/'), []);
      assert.ok((await keys()).includes('listed/q.csv'));
      const [one] = await store.list('listing/a/');
      assert.deepEqual(one, await store.stat(store.uri('listing/a/z.csv')));
    });

    it("refuses bad keys and other backends' URIs", async () => {
      const { store } = backend;
      for (const key of ['../etc/passwd', 'a//b', '.hidden/x', 'models/.x', ''])
        assert.throws(() => store.uri(key), ArtifactAddressError, key);
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
      assert.deepEqual(
        readdirSync(dirname(path)).filter((f) => f.endsWith('.tmp') || f.endsWith('.link')),
        [],
        'no temporary files left',
      );
    },
    chunks: async (uri) => {
      let n = 0;
      for await (const chunk of store.stream(uri)) n += chunk.length > 0 ? 1 : 0;
      return n;
    },
  };
});

describe('local directory artifact store: keys and folders', () => {
  it('a key cannot be a folder of other keys, nor lie under another key: refused, nothing written', async () => {
    const root = tempDir('updraft-artifacts-');
    const store = new LocalArtifactStore({ root });
    await store.put('inputs/demo/train.csv', 'a,b\n1,2\n');
    const before = readdirSync(root, { recursive: true }).sort();
    await assert.rejects(store.put('inputs/demo', 'x'), /artifact key 'inputs\/demo' is a folder of other artifacts/);
    await assert.rejects(
      store.put('inputs/demo/train.csv/x', 'x'),
      /artifact key 'inputs\/demo\/train.csv\/x' lies under another artifact's key/,
    );
    assert.deepEqual(readdirSync(root, { recursive: true }).sort(), before, 'no content file, link or folder left');
    assert.equal((await store.get(store.uri('inputs/demo/train.csv'))).toString(), 'a,b\n1,2\n');
  });

  it("the CLI takes keys holding ':' as keys, and a folder of keys is not found (one line), as in PostgreSQL", async () => {
    const env = { UPDRAFT_HOME: tempDir('updraft-home-'), UPDRAFT_DATABASE_URL: '', UPDRAFT_ARTIFACTS_URL: '' };
    const file = join(tempDir(), 'model.bin');
    writeFileSync(file, randomBytes(1000));
    const put = await runCli(['artifacts', 'put', file, 'models/churn:v2/model.bin'], env);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /^file:\/\/\/.+\/models\/churn:v2\/model\.bin\n$/, 'put prints the URI alone');
    const stat = await cliJson<{ key: string; size: number }>(['artifacts', 'stat', 'models/churn:v2/model.bin'], env);
    assert.deepEqual([stat.key, stat.size], ['models/churn:v2/model.bin', 1000]);
    const folder = await runCli(['artifacts', 'stat', 'models'], env);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /^updraft: error: artifact not found: file:\/\/\/.+\/models \(a folder of artifacts\)\n$/);
  });

  it('a plain file is no artifact: inside the directory it is corrupt (no recorded SHA-256), outside it is not in this store', async () => {
    const root = tempDir('updraft-artifacts-');
    const store = new LocalArtifactStore({ root });
    writeFileSync(join(root, 'plain.csv'), 'x');
    await rejectsNaming(store.get(store.uri('plain.csv')), ArtifactCorruptError, store.uri('plain.csv'));
    const outside = join(tempDir(), 'elsewhere.csv');
    writeFileSync(outside, 'x');
    await rejectsNaming(store.get(pathToFileURL(outside).href), ArtifactAddressError, pathToFileURL(outside).href);
  });
});

let database: ThrowawayDatabase | undefined;
after(() => database?.drop());
behavesAsAnArtifactStore(
  'PostgreSQL',
  async () => {
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
        await query('update artifact_chunk set data = overlay(data placing $3 from $4) where key = $1 and seq = $2', [
          key,
          seq,
          Buffer.from('XYZ'),
          (offset % CHUNK) + 1,
        ]);
      },
      chunks: async (_uri, key) =>
        Number((await query<{ n: string }>('select count(*) as n from artifact_chunk where key = $1', [key]))[0]!.n),
    };
  },
  available ? false : `no PostgreSQL answers at ${ADMIN_URL}`,
);

describe('UPDRAFT_ARTIFACTS_URL', () => {
  it("chooses the backend: a file: URL, a postgres: URL, else the store's PostgreSQL, else $UPDRAFT_HOME/artifacts", async () => {
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

describe('retraining across hosts: store and artifacts on PostgreSQL, a fresh $UPDRAFT_HOME per host', {
  skip: available ? false : `no PostgreSQL answers at ${ADMIN_URL}`,
}, () => {
  let shared: ThrowawayDatabase | undefined;
  let artifacts: PostgresArtifactStore | undefined;
  before(async () => {
    shared = await throwawayDatabase('updraft_hosts');
    artifacts = new PostgresArtifactStore({ url: shared.url });
  });
  after(async () => {
    await artifacts?.close();
    await shared?.drop();
  });

  /** A "host": its own UPDRAFT_HOME, nothing shared but the PostgreSQL database (no UPDRAFT_ARTIFACTS_URL: artifacts follow the store). */
  const host = () => ({ UPDRAFT_HOME: tempDir('updraft-host-'), UPDRAFT_DATABASE_URL: shared!.url, UPDRAFT_ARTIFACTS_URL: '' });
  // A cooldown of 0: each host's run retrains (within one it would merge into the first retrain).
  const fast = { trees: 10, min_accuracy: 0.7, min_precision: 0.7, retrain_cooldown_minutes: 0 };
  const pipeline = (env: Record<string, string>, conf: Record<string, unknown>) =>
    runCli(
      [
        '--dags-folder',
        join(REPO, 'dags'),
        'dags',
        'test',
        'ml_retraining_pipeline',
        '--conf',
        JSON.stringify({ ...fast, ...conf }),
        '--output',
        'json',
        '--retry-delay-scale',
        '0',
      ],
      env,
    );
  const states = (stdout: string) =>
    Object.fromEntries(
      (JSON.parse(stdout) as { task_instances: Array<{ task_id: string; state: string }> }).task_instances.map((t) => [t.task_id, t.state]),
    );
  const predictInput = (): string => {
    const dir = tempDir('updraft-input-');
    writeChurnData(dir, { drift: true, rows: 200, seed: 99 });
    return join(dir, 'current.csv');
  };
  type Prediction = { version: number; artifact_uri: string; predictions: string[] };
  /** The CLI failed with exactly one line naming `uri`. */
  const failsNaming = (r: { code: number; stderr: string }, kind: RegExp, uri: string): void => {
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, kind);
    assert.ok(lines[0]!.includes(uri), lines[0]);
  };

  it("trains on host A, serves on B, retrains on C from A's champion, rolls back on D; a corrupt or missing artifact never serves", async () => {
    // Host A: the whole pipeline, data from a local folder (a user's input on that host).
    const a = host();
    const dataA = tempDir('updraft-data-');
    writeChurnData(dataA, { drift: true, rows: 600 });
    const first = await pipeline(a, { data_dir: dataA });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(states(first.stdout), {
      check_drift: 'success',
      claim_retrain: 'success',
      train_model: 'success',
      validate: 'success',
      deploy_model: 'success',
    });
    assert.equal(existsSync(join(a.UPDRAFT_HOME, 'artifacts')), false, "no artifact written on host A's disk");
    rmSync(a.UPDRAFT_HOME, { recursive: true });
    rmSync(dataA, { recursive: true });

    // Host B: host A is gone; the model, and the retrain log's lines of A's run, come from PostgreSQL.
    const input = predictInput();
    const b = host();
    const log = await cliJson<Array<{ decision: string; artifact_uri?: string }>>(['retrain-log', '--model', 'churn'], b);
    const promoted = log.find((e) => e.decision === 'promoted')!;
    assert.match(promoted.artifact_uri!, /^postgres-artifact:\/\/\/models\/churn\/[0-9a-f-]{36}\/model\.json$/);
    assert.match(log[0]!.artifact_uri!, /^postgres-artifact:\/\/\/reports\/churn\/ml_retraining_pipeline\/.+\/drift\.json$/);
    const v1 = await cliJson<Prediction>(['models', 'predict', 'churn', input], b);
    assert.deepEqual([v1.version, v1.artifact_uri, v1.predictions.length], [1, promoted.artifact_uri, 100]);
    const [tracked] = await cliJson<Array<{ artifact_uri: string }>>(['models', 'versions', 'churn'], b);
    assert.equal(tracked!.artifact_uri, promoted.artifact_uri, 'the registry records the URI');

    // Host C: inputs given as artifact URIs; validate scores host A's champion, read from PostgreSQL.
    const inputs = tempDir('updraft-data-');
    writeChurnData(inputs, { drift: true, rows: 600, seed: 11 });
    // alpha 0: no difference is significant, and no holdout minimum, so the gate passes whatever data host C trains on.
    const conf: Record<string, unknown> = { gate_alpha: 0, min_holdout_rows: 0 };
    const c = host();
    for (const kind of ['reference', 'current', 'train']) {
      conf[kind] = (await cliJson<{ uri: string }>(['artifacts', 'put', join(inputs, `${kind}.csv`), `inputs/churn/${kind}.csv`], c)).uri;
    }
    const listed = await cliJson<Array<{ key: string; size: number; sha256: string }>>(['artifacts', 'list', 'inputs/churn/'], b);
    assert.deepEqual(
      listed.map((a) => [a.key, a.size, a.sha256]),
      ['current', 'reference', 'train'].map((kind) => {
        const bytes = readFileSync(join(inputs, `${kind}.csv`));
        return [`inputs/churn/${kind}.csv`, bytes.length, sha256(bytes)];
      }),
      'what host C put, host B lists',
    );
    rmSync(inputs, { recursive: true });
    const second = await pipeline(c, conf);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(states(second.stdout).deploy_model, 'success');

    // Host D: v2 serves; roll back to v1 (read through the store) and predict again.
    const d = host();
    const v2 = await cliJson<Prediction>(['models', 'predict', 'churn', input], d);
    assert.equal(v2.version, 2);
    assert.notEqual(v2.artifact_uri, v1.artifact_uri);
    await cliJson(['models', 'rollback', 'churn'], d);
    assert.deepEqual(await cliJson<Prediction>(['models', 'predict', 'churn', input], d), v1);

    // v2's bytes corrupted behind the store's back: deploying or predicting with it fails, v1 keeps serving.
    const v2key = v2.artifact_uri.slice('postgres-artifact:///'.length);
    const admin = new pg.Client({ connectionString: shared!.url });
    await admin.connect();
    await admin.query("update artifact_chunk set data = overlay(data placing '\\x00'::bytea from 10) where key = $1 and seq = 0", [v2key]);
    await admin.end();
    failsNaming(await runCli(['models', 'promote', 'churn', '2'], d), /^updraft: error: artifact corrupt: /, v2.artifact_uri);
    failsNaming(
      await runCli(['models', 'predict', 'churn', input, '--version', '2'], d),
      /^updraft: error: artifact corrupt: /,
      v2.artifact_uri,
    );
    const downloads = tempDir('updraft-download-');
    failsNaming(
      await runCli(['artifacts', 'get', v2.artifact_uri, '--to', join(downloads, 'model.json')], d),
      /^updraft: error: artifact corrupt: /,
      v2.artifact_uri,
    );
    assert.deepEqual(readdirSync(downloads), [], 'nothing half-written');
    // A folder, as cp takes one: the file is named after the key's last segment.
    assert.equal((await runCli(['artifacts', 'get', v1.artifact_uri, '--to', downloads], d)).code, 0);
    assert.deepEqual(readdirSync(downloads), ['model.json']);
    assert.ok(readFileSync(join(downloads, 'model.json')).equals(await artifacts!.get(v1.artifact_uri)), 'v1 downloaded, verified');
    assert.deepEqual(await cliJson<Prediction>(['models', 'predict', 'churn', input], d), v1, 'v1 still serves');

    // Missing: the same, with ArtifactNotFoundError.
    assert.equal(await artifacts!.delete(v2.artifact_uri), true);
    failsNaming(await runCli(['models', 'promote', 'churn', '2'], d), /^updraft: error: artifact not found: /, v2.artifact_uri);
    const versions = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', 'churn'], d);
    assert.deepEqual(
      versions.map((v) => [v.version, v.stage]),
      [
        [1, 'Production'],
        [2, 'Archived'],
      ],
    );
    assert.deepEqual(await cliJson<Prediction>(['models', 'predict', 'churn', input], d), v1, 'v1 still serves');
  });
});
