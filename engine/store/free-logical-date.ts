import type { Kysely } from 'kysely';
import type { DagRunType } from '../models/states.ts';
import type { Database } from './schema.ts';

/** Milliseconds of a DAG's runs read at once while looking for a free one. */
const WINDOW_MS = 1000;

/** Airflow's run id form: `<type>__<logical date ISO>`. */
export const defaultRunId = (runType: DagRunType, logicalDate: Date): string => `${runType}__${logicalDate.toISOString()}`;

/**
 * The first millisecond from `earliest` at which the DAG has no run, and — when
 * the run id will be derived from the date (`derivedRunIdOf`) — no run holds
 * that id either. Logical dates are stored to the millisecond (ISO text, which
 * sorts as time does), so triggers arriving within one millisecond take
 * consecutive ones. One read per second of taken dates; run it inside the
 * write transaction that inserts the run.
 */
export async function firstFreeLogicalDate(
  db: Kysely<Database>,
  dagId: string,
  earliest: Date,
  derivedRunIdOf?: DagRunType,
): Promise<Date> {
  for (let start = earliest.getTime(); ; start += WINDOW_MS) {
    const from = new Date(start);
    const to = new Date(start + WINDOW_MS);
    const rows = await db
      .selectFrom('dag_run')
      .select(['logical_date', 'run_id'])
      .where('dag_id', '=', dagId)
      .where((eb) => {
        const dates = eb.and([eb('logical_date', '>=', from.toISOString()), eb('logical_date', '<', to.toISOString())]);
        if (derivedRunIdOf === undefined) return dates;
        return eb.or([
          dates,
          eb.and([eb('run_id', '>=', defaultRunId(derivedRunIdOf, from)), eb('run_id', '<', defaultRunId(derivedRunIdOf, to))]),
        ]);
      })
      .execute();
    const dates = new Set(rows.map((r) => r.logical_date));
    const runIds = new Set(rows.map((r) => r.run_id));
    for (let at = start; at < start + WINDOW_MS; at++) {
      const date = new Date(at);
      if (!dates.has(date.toISOString()) && (derivedRunIdOf === undefined || !runIds.has(defaultRunId(derivedRunIdOf, date)))) return date;
    }
  }
}
