import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliJson, tempDir } from './helpers/cli.ts';

// The retrain log lives in the store (migration 020); a host's file from before is imported once.

describe('retrain log in the store', () => {
  it("imports a host's retrain-log.jsonl from before once, keeps it as .imported, and lists it in order", async () => {
    const env = { UPDRAFT_HOME: tempDir('updraft-retrain-log-') };
    const legacy = join(env.UPDRAFT_HOME, 'retrain-log.jsonl');
    const lines = [
      {
        timestamp: '2026-11-01T00:00:00.000Z',
        model: 'churn',
        trigger: 'drift',
        decision: 'fire',
        success: true,
        metrics: { drifted_share: 0.5 },
        error: null,
        reason: 'drift in tenure',
        dag_run_id: 'r1',
        artifact_uri: 'file:///reports/churn/drift.json',
      },
      {
        timestamp: '2026-11-01T00:00:01.000Z',
        model: 'churn',
        trigger: 'drift',
        decision: 'promoted',
        success: true,
        metrics: null,
        error: null,
        dag_run_id: 'r1',
        version: 3,
        merged_triggers: [{ kind: 'drift', detail: 'd', time: 't', dag_id: 'x', run_id: 'r1' }],
      },
      {
        timestamp: '2026-11-01T00:00:02.000Z',
        model: 'fraud',
        trigger: 'schedule',
        decision: 'skip',
        success: true,
        metrics: null,
        error: null,
      },
    ];
    // The last line torn, as a process killed mid-append leaves it.
    writeFileSync(legacy, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"timestamp":"2026-11-01T00:0`);

    assert.deepEqual(await cliJson(['retrain-log', '--model', 'churn'], env), lines.slice(0, 2));
    assert.equal(existsSync(legacy), false);
    assert.equal(existsSync(`${legacy}.imported`), true);
    assert.deepEqual(await cliJson(['retrain-log'], env), lines, 'imported once, in the order written');
  });
});
