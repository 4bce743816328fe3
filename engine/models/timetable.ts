import { CronExpressionParser } from 'cron-parser';
import { DagValidationError } from './errors.ts';
import { isIntervalString, parseDuration } from './duration.ts';

/** A DAG's `schedule`: `null` (manual only), a preset, a 5-field cron string, or an interval. */
export type Schedule = null | '@once' | '@hourly' | '@daily' | '@weekly' | '@monthly' | '@yearly' | (string & {});

export interface DataInterval {
  start: Date;
  end: Date;
}

/** The next run a timetable wants: its logical date, data interval, and the earliest moment to create it. */
export interface DagRunInfo {
  logicalDate: Date;
  dataInterval: DataInterval;
  runAfter: Date;
}

export interface TimetableRestriction {
  earliest: Date;
  latest: Date | null;
  catchup: boolean;
}

/** Turns a schedule into data intervals, as Airflow's timetables do. */
export interface Timetable {
  readonly description: string;
  readonly periodic: boolean;
  /** The run after `last` (the newest scheduled/backfill run's interval), or null when none is due ever. */
  nextDagRunInfo(last: DataInterval | null, restriction: TimetableRestriction, now: Date): DagRunInfo | null;
  /** The data interval a manual run at `logicalDate` covers. */
  manualDataInterval(logicalDate: Date): DataInterval;
}

const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

class NullTimetable implements Timetable {
  readonly description: string = 'None';
  readonly periodic = false;
  nextDagRunInfo(_last: DataInterval | null, _r: TimetableRestriction): DagRunInfo | null {
    return null;
  }
  manualDataInterval(logicalDate: Date): DataInterval {
    return { start: logicalDate, end: logicalDate };
  }
}

class OnceTimetable extends NullTimetable {
  override readonly description = '@once';
  override nextDagRunInfo(last: DataInterval | null, r: TimetableRestriction): DagRunInfo | null {
    if (last) return null;
    return { logicalDate: r.earliest, dataInterval: { start: r.earliest, end: r.earliest }, runAfter: r.earliest };
  }
}

/** Airflow's CronDataIntervalTimetable: a run covers [tick, next tick) and is created once that interval ends. */
class CronTimetable implements Timetable {
  readonly periodic = true;
  constructor(
    readonly description: string,
    private readonly expression: string,
  ) {}

  private after(date: Date): Date {
    return CronExpressionParser.parse(this.expression, { currentDate: date, tz: 'UTC' }).next().toDate();
  }
  private before(date: Date): Date {
    return CronExpressionParser.parse(this.expression, { currentDate: date, tz: 'UTC' }).prev().toDate();
  }
  private alignUp(date: Date): Date {
    const previous = this.before(new Date(date.getTime() + 1));
    return previous.getTime() === date.getTime() ? date : this.after(date);
  }
  /** Start of the newest interval that has fully ended by `now`. */
  private latestCompleteStart(now: Date): Date {
    const lastTick = this.before(new Date(now.getTime() + 1));
    return this.before(lastTick);
  }

  nextDagRunInfo(last: DataInterval | null, r: TimetableRestriction, now: Date): DagRunInfo | null {
    let start: Date;
    if (r.catchup) {
      start = last ? last.end : this.alignUp(r.earliest);
    } else {
      const latest = this.latestCompleteStart(now);
      const aligned = this.alignUp(r.earliest);
      start = new Date(Math.max(latest.getTime(), aligned.getTime(), last ? last.end.getTime() : 0));
    }
    if (r.latest && start > r.latest) return null;
    const end = this.after(start);
    return { logicalDate: start, dataInterval: { start, end }, runAfter: end };
  }

  manualDataInterval(logicalDate: Date): DataInterval {
    const end = this.before(new Date(logicalDate.getTime() + 1));
    return { start: this.before(end), end };
  }
}

/** Airflow's DeltaDataIntervalTimetable, anchored at startDate: intervals [start + kΔ, start + (k+1)Δ). */
class DeltaTimetable implements Timetable {
  readonly periodic = true;
  constructor(
    readonly description: string,
    private readonly deltaMs: number,
  ) {}

  nextDagRunInfo(last: DataInterval | null, r: TimetableRestriction, now: Date): DagRunInfo | null {
    const anchor = r.earliest.getTime();
    let startMs = last ? last.end.getTime() : anchor;
    if (!r.catchup) {
      const completed = Math.floor((now.getTime() - anchor) / this.deltaMs);
      startMs = Math.max(startMs, anchor + Math.max(0, completed - 1) * this.deltaMs);
    }
    const start = new Date(startMs);
    if (r.latest && start > r.latest) return null;
    const end = new Date(startMs + this.deltaMs);
    return { logicalDate: start, dataInterval: { start, end }, runAfter: end };
  }

  manualDataInterval(logicalDate: Date): DataInterval {
    return { start: new Date(logicalDate.getTime() - this.deltaMs), end: logicalDate };
  }
}

/** Builds the timetable for a schedule; throws DagValidationError naming `what` on a bad schedule. */
export function createTimetable(schedule: Schedule, what: string): Timetable {
  if (schedule === null) return new NullTimetable();
  if (typeof schedule !== 'string') throw new DagValidationError(`${what}: schedule must be null or a string`);
  if (schedule === '@once') return new OnceTimetable();
  const preset = PRESETS[schedule];
  if (preset) return new CronTimetable(schedule, preset);
  if (schedule.startsWith('@')) throw new DagValidationError(`${what}: unknown schedule preset '${schedule}'`);
  if (isIntervalString(schedule)) {
    const deltaMs = parseDuration(schedule, what);
    if (deltaMs <= 0) throw new DagValidationError(`${what}: interval schedule must be positive`);
    return new DeltaTimetable(schedule, deltaMs);
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new DagValidationError(
      `${what}: bad cron '${schedule}': expected 5 fields (minute hour day month weekday), got ${fields.length}`,
    );
  }
  try {
    CronExpressionParser.parse(schedule, { tz: 'UTC' });
  } catch (error) {
    throw new DagValidationError(`${what}: bad cron '${schedule}': ${(error as Error).message}`);
  }
  return new CronTimetable(schedule, schedule);
}
