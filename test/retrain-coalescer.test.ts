import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { RetrainCoalescer } from '../ml/pipeline/retrain-coalescer.ts';
import type { RetrainTrigger } from '../ml/retrain-log.ts';
import { tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase } from './helpers/postgres.ts';

const HOUR = 3_600_000;
const at = (minutes: number) => new Date(Date.UTC(2026, 5, 1, 6, minutes));
const fire = (kind: RetrainTrigger, run: string) => ({ kind, detail: `${kind} fired`, dag_id: `dag_${kind}`, run_id: run });

/** The same behaviour on both dialects. */
function behaviour(open: () => Promise<Store>): void {
  it('four trigger kinds within the cooldown start one retrain; the claim lists them in order', async () => {
    const store = await open();
    try {
      const coalescer = new RetrainCoalescer(store);
      const first = await coalescer.claim({ model: 'churn', trigger: fire('drift', 'r1'), now: at(0) });
      assert.equal(first.outcome, 'claimed');
      assert.equal(first.claim.cooldownUntil, at(60).toISOString(), 'default cooldown: 1 h');
      const others = [];
      for (const [i, kind] of (['performance', 'estimated_performance', 'schedule'] as const).entries()) {
        others.push(await coalescer.claim({ model: 'churn', trigger: fire(kind, `r${i + 2}`), now: at(10 + i) }));
      }
      assert.deepEqual(
        others.map((d) => d.outcome),
        ['merged', 'merged', 'merged'],
      );
      const merged = await coalescer.mergedInto('churn', 'dag_drift', 'r1');
      assert.deepEqual(
        merged.map((t) => [t.kind, t.run_id, t.time]),
        [
          ['drift', 'r1', at(0).toISOString()],
          ['performance', 'r2', at(10).toISOString()],
          ['estimated_performance', 'r3', at(11).toISOString()],
          ['schedule', 'r4', at(12).toISOString()],
        ],
      );
      assert.deepEqual(await coalescer.mergedInto('churn', 'dag_performance', 'r2'), [], 'a merged run owns nothing');

      // A retried task asks again: the owner still owns, a merged trigger is not listed twice.
      assert.equal((await coalescer.claim({ model: 'churn', trigger: fire('drift', 'r1'), now: at(20) })).outcome, 'claimed');
      assert.equal((await coalescer.claim({ model: 'churn', trigger: fire('performance', 'r2'), now: at(21) })).outcome, 'merged');
      assert.equal((await coalescer.current('churn'))!.triggers.length, 4);

      // Another model has its own claim; after the cooldown the next trigger claims anew.
      assert.equal((await coalescer.claim({ model: 'fraud', trigger: fire('schedule', 'f1'), now: at(30) })).outcome, 'claimed');
      const next = await coalescer.claim({ model: 'churn', trigger: fire('schedule', 'r5'), now: at(60) });
      assert.equal(next.outcome, 'claimed');
      assert.deepEqual(
        next.claim.triggers.map((t) => t.run_id),
        ['r5'],
      );
      assert.equal((await coalescer.current('fraud'))!.runId, 'f1');
    } finally {
      await store.close();
    }
  });

  it("the asking run's cooldown decides: 0 never merges, 3 h merges for 3 h after the claim", async () => {
    const store = await open();
    try {
      const coalescer = new RetrainCoalescer(store);
      assert.equal((await coalescer.claim({ model: 'm', trigger: fire('drift', 'a'), now: at(0) })).outcome, 'claimed');
      assert.equal(
        (await coalescer.claim({ model: 'm', trigger: fire('drift', 'b'), cooldownMs: 0, now: at(1) })).outcome,
        'claimed',
        'a cooldown of 0 retrains every time',
      );
      assert.equal(
        (await coalescer.claim({ model: 'm', trigger: fire('schedule', 'c'), cooldownMs: 3 * HOUR, now: at(180) })).outcome,
        'merged',
      );
      assert.equal(
        (await coalescer.claim({ model: 'm', trigger: fire('schedule', 'd'), cooldownMs: 3 * HOUR, now: at(181) })).outcome,
        'claimed',
      );
      await assert.rejects(
        coalescer.claim({ model: 'm', trigger: fire('drift', 'e'), cooldownMs: -1 }),
        /model 'm': retrain cooldown must be a number of minutes >= 0/,
      );
      await assert.rejects(coalescer.claim({ model: '../x', trigger: fire('drift', 'e') }), /bad model name '\.\.\/x'/);
    } finally {
      await store.close();
    }
  });
}

describe('retrain coalescer on SQLite', () => {
  const home = tempDir('updraft-coalesce-');
  behaviour(() => openStoreWithPlugins({ home: `${home}/${Math.random().toString(36).slice(2)}` }));
});

const postgres = await postgresAnswers();
if (!postgres && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

describe('retrain coalescer on PostgreSQL', { skip: postgres ? false : `no PostgreSQL answers at ${ADMIN_URL}` }, () => {
  const dropped: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of dropped) await drop();
  });
  const open = async () => {
    const db = await throwawayDatabase('updraft_coalesce');
    dropped.push(db.drop);
    return openStoreWithPlugins({ url: db.url });
  };
  behaviour(open);

  it('twenty claimers on separate connections at once: exactly one retrain, nineteen merged', async () => {
    const db = await throwawayDatabase('updraft_coalesce');
    dropped.push(db.drop);
    const stores = await Promise.all(Array.from({ length: 20 }, () => openStoreWithPlugins({ url: db.url, poolSize: 1 })));
    try {
      const kinds: RetrainTrigger[] = ['drift', 'performance', 'estimated_performance', 'schedule'];
      const decisions = await Promise.all(
        stores.map((s, i) => new RetrainCoalescer(s).claim({ model: 'churn', trigger: fire(kinds[i % 4]!, `run${i}`) })),
      );
      assert.equal(decisions.filter((d) => d.outcome === 'claimed').length, 1);
      const claim = (await new RetrainCoalescer(stores[0]!).current('churn'))!;
      assert.equal(claim.triggers.length, 20, 'every trigger is recorded once');
      assert.equal(claim.triggers[0]!.run_id, claim.runId, 'the claiming trigger comes first');
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
