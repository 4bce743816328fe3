import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTimetable } from '../../engine/models/timetable.ts';
import { parseDuration } from '../../engine/models/duration.ts';
import { retryDelayMs } from '../../engine/models/retry-delay.ts';

const d = (iso: string) => new Date(iso);
const iso = (x: Date) => x.toISOString();

describe('timetables (Airflow data intervals)', () => {
  it('@daily: the run for day D covers [D, D+1) and is due after D ends', () => {
    const t = createTimetable('@daily', 'test');
    const info = t.nextDagRunInfo(null, { earliest: d('2026-06-01T00:00:00Z'), latest: null, catchup: true }, d('2026-06-05T10:00:00Z'))!;
    assert.equal(iso(info.logicalDate), '2026-06-01T00:00:00.000Z');
    assert.equal(iso(info.dataInterval.end), '2026-06-02T00:00:00.000Z');
    assert.equal(iso(info.runAfter), '2026-06-02T00:00:00.000Z');
    const next = t.nextDagRunInfo(
      info.dataInterval,
      { earliest: d('2026-06-01T00:00:00Z'), latest: null, catchup: true },
      d('2026-06-05T10:00:00Z'),
    )!;
    assert.equal(iso(next.logicalDate), '2026-06-02T00:00:00.000Z');
  });

  it('catchup false starts at the latest complete interval', () => {
    const t = createTimetable('@daily', 'test');
    const info = t.nextDagRunInfo(null, { earliest: d('2026-06-01T00:00:00Z'), latest: null, catchup: false }, d('2026-06-05T10:00:00Z'))!;
    assert.equal(iso(info.logicalDate), '2026-06-04T00:00:00.000Z');
    assert.equal(iso(info.dataInterval.end), '2026-06-05T00:00:00.000Z');
  });

  it('a start date between ticks aligns up to the next tick', () => {
    const t = createTimetable('0 6 * * *', 'test');
    const info = t.nextDagRunInfo(null, { earliest: d('2026-06-01T07:00:00Z'), latest: null, catchup: true }, d('2026-06-09T00:00:00Z'))!;
    assert.equal(iso(info.logicalDate), '2026-06-02T06:00:00.000Z');
  });

  it('endDate stops scheduling', () => {
    const t = createTimetable('@daily', 'test');
    const r = { earliest: d('2026-06-01T00:00:00Z'), latest: d('2026-06-02T00:00:00Z'), catchup: true };
    const last = { start: d('2026-06-02T00:00:00Z'), end: d('2026-06-03T00:00:00Z') };
    assert.equal(t.nextDagRunInfo(last, r, d('2026-06-10T00:00:00Z')), null);
  });

  it('interval schedules are anchored at startDate', () => {
    const t = createTimetable('30m', 'test');
    const r = { earliest: d('2026-06-01T00:10:00Z'), latest: null, catchup: true };
    const info = t.nextDagRunInfo(null, r, d('2026-06-01T05:00:00Z'))!;
    assert.equal(iso(info.dataInterval.end), '2026-06-01T00:40:00.000Z');
    const latest = t.nextDagRunInfo(null, { ...r, catchup: false }, d('2026-06-01T01:15:00Z'))!;
    assert.equal(iso(latest.logicalDate), '2026-06-01T00:40:00.000Z');
  });

  it('@once runs once at startDate; null never', () => {
    const once = createTimetable('@once', 'test');
    const r = { earliest: d('2026-06-01T00:00:00Z'), latest: null, catchup: false };
    assert.equal(iso(once.nextDagRunInfo(null, r, d('2026-07-01T00:00:00Z'))!.logicalDate), '2026-06-01T00:00:00.000Z');
    assert.equal(once.nextDagRunInfo({ start: r.earliest, end: r.earliest }, r, d('2026-07-01T00:00:00Z')), null);
    assert.equal(createTimetable(null, 'test').nextDagRunInfo(null, r, d('2026-07-01T00:00:00Z')), null);
  });

  it('rejects bad schedules with the option named', () => {
    assert.throws(() => createTimetable('* * * *', "DAG 'x'"), /DAG 'x': bad cron '\* \* \* \*': expected 5 fields/);
    assert.throws(() => createTimetable('@fortnightly', "DAG 'x'"), /unknown schedule preset/);
    assert.throws(() => createTimetable('0 25 * * *', "DAG 'x'"), /bad cron/);
  });
});

describe('durations and retry delays', () => {
  it('parses durations; numbers are seconds', () => {
    assert.equal(parseDuration('1h30m', 'x'), 5_400_000);
    assert.equal(parseDuration(5, 'x'), 5000);
    assert.equal(parseDuration('250ms', 'x'), 250);
    assert.throws(() => parseDuration('5 minutes', 'retryDelay'), /retryDelay: bad duration/);
  });

  it('exponential backoff doubles with deterministic jitter and respects maxRetryDelay', () => {
    const key = { dagId: 'd', taskId: 't', logicalDate: '2026-06-01T00:00:00.000Z' };
    const policy = { retryDelayMs: 10_000, retryExponentialBackoff: true, maxRetryDelayMs: null };
    for (const tryNumber of [1, 2, 3, 4]) {
      const delay = retryDelayMs(policy, tryNumber, key);
      const base = 10_000 * 2 ** (tryNumber - 1);
      assert.ok(delay >= base && delay < 2 * base, `try ${tryNumber}: ${delay}`);
      assert.equal(delay, retryDelayMs(policy, tryNumber, key));
    }
    assert.equal(retryDelayMs({ ...policy, maxRetryDelayMs: 15_000 }, 4, key), 15_000);
    assert.equal(retryDelayMs({ ...policy, retryExponentialBackoff: false }, 4, key), 10_000);
  });
});
