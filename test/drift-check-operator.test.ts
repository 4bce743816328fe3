import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dag } from '../engine/index.ts';
import type { TaskContext } from '../engine/models/task-context.ts';
import { DriftCheckOperator } from '../ml/operators/drift-check-operator.ts';
import { tempDir } from './helpers/cli.ts';

describe('DriftCheckOperator', () => {
  const dir = tempDir();
  /** Four uniform(0, 10) columns; the first `shifted` of them move by 20 (about 7 standard deviations). */
  const write = (name: string, seed: number, shifted: number): string => {
    let s = seed;
    const u = () => {
      s = (16807 * s) % 2147483647;
      return s / 2147483647;
    };
    const lines = ['a,b,c,d'];
    for (let i = 0; i < 400; i++) lines.push([0, 1, 2, 3].map((k) => (u() * 10 + (k < shifted ? 20 : 0)).toFixed(4)).join(','));
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    return join(dir, name);
  };
  const reference = write('reference.csv', 1, 0);
  const logs: string[] = [];
  const context = (params: Record<string, unknown>) =>
    ({
      dagId: 'd',
      runId: 'r',
      taskId: 'check',
      params,
      log: { info: (m: string) => logs.push(m), warn: () => {}, error: () => {}, debug: () => {} },
    }) as unknown as TaskContext;

  const pipeline = dag({ dagId: 'drift_branch' });
  const check = pipeline.add(
    new DriftCheckOperator({
      taskId: 'check',
      reference,
      current: (ctx) => String(ctx.params.current),
      onDrift: ['retrain'],
      onNoDrift: ['keep'],
      share: 0.5,
    }),
  );
  check.to([pipeline.task('retrain', () => 1), pipeline.task('keep', () => 1)]);

  it('branches on the data-set rule: one drifted column of four is below share 0.5, two of four reach it', async () => {
    const one = await check.execute(context({ current: write('one.csv', 2, 1) }));
    assert.deepEqual(
      one.columns.map((c) => c.drifted),
      [true, false, false, false],
    );
    assert.equal(one.drift, false);
    assert.deepEqual(check.tasksToSkip(one, pipeline), ['retrain']);
    const two = await check.execute(context({ current: write('two.csv', 3, 2) }));
    assert.equal(two.drifted_share, 0.5);
    assert.equal(two.drift, true);
    assert.deepEqual(check.tasksToSkip(two, pipeline), ['keep']);
    assert.ok(
      logs.some((l) => /^drift detected: 2 of 4 columns drifted \(share 0\.50, rule >= 0\.5\)$/.test(l)),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((l) => /^a: ks statistic=\S+ p=\S+ adjusted=\S+ threshold=0\.05 psi=\S+ DRIFT$/.test(l)),
      logs.join('\n'),
    );
  });

  it('passes method and threshold through', async () => {
    const forced = new DriftCheckOperator({
      taskId: 'forced',
      reference,
      current: write('three.csv', 4, 1),
      method: 'wasserstein',
      threshold: 5,
    });
    const report = await forced.execute(context({}));
    assert.equal(report.method, 'wasserstein');
    assert.ok(report.columns.every((c) => c.test === 'wasserstein' && c.threshold === 5));
    assert.deepEqual(
      report.columns.map((c) => c.drifted),
      [true, false, false, false],
      'a shift of 20 is a normed distance near 7',
    );
  });
});
