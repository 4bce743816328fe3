import pg from 'pg';
import type { BenchInstallation } from './installation.ts';

/** The join shapes of issue 25, each 3,000 noop tasks: independent, one root → 3,000 → one join, 30 stages of 100 joined by barriers. */
export const JOIN_SHAPES = { independent: 'bench_independent_3000', fanIn: 'bench_fan_in_3000', stages: 'bench_stages_30x100' } as const;

export const JOIN_DAGS = `
import { dag, chain } from 'updraft';
export const independent = dag({ dagId: '${JOIN_SHAPES.independent}' });
for (let i = 0; i < 3000; i++) independent.empty('t' + i);
export const fanIn = dag({ dagId: '${JOIN_SHAPES.fanIn}' });
chain(fanIn.empty('root'), Array.from({ length: 2998 }, (_, i) => fanIn.empty('t' + i)), fanIn.empty('join'));
export const stages = dag({ dagId: '${JOIN_SHAPES.stages}' });
chain(stages.empty('start'), ...Array.from({ length: 30 }, (_, s) => [Array.from({ length: 99 }, (_, i) => stages.empty('s' + s + '_' + i)), stages.empty('barrier_' + s)]).flat());
`;

/** Lock waits sampled on PostgreSQL while a run goes on: backends waiting on a lock, and on which relation / tuple. */
export class LockWaitSampler {
  private samples = 0;
  private waiting = 0;
  private readonly byEvent = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly client: pg.Client;

  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url });
  }

  async start(): Promise<void> {
    await this.client.connect();
    const database = (await this.client.query<{ d: string }>('select current_database() as d')).rows[0]!.d;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.client
        .query<{ wait_event: string; n: string }>(
          `select wait_event, count(*) as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and pid <> pg_backend_pid() group by wait_event`,
          [database],
        )
        .then(
          ({ rows }) => {
            this.samples++;
            for (const r of rows) {
              this.waiting += Number(r.n);
              this.byEvent.set(r.wait_event, (this.byEvent.get(r.wait_event) ?? 0) + Number(r.n));
            }
          },
          () => undefined,
        )
        .finally(() => {
          this.busy = false;
        });
    }, 20);
  }

  /** Stops and says: samples taken, mean backends waiting on a lock per sample, and by wait event. */
  async stop(): Promise<string> {
    if (this.timer) clearInterval(this.timer);
    await this.client.end();
    const events = [...this.byEvent].map(([e, n]) => `${e} ${n}`).join(', ') || 'none';
    return `${this.samples} samples, ${(this.waiting / Math.max(1, this.samples)).toFixed(3)} backends waiting on a lock per sample (${events})`;
  }
}

/** (k) and (l): tasks/s of the join shapes against the independent DAG of the same size, same processes. */
export async function measureJoinShapes(
  installation: BenchInstallation,
  label: string,
  tag: string,
  workers: number,
  concurrency: number,
  say: (line: string) => void,
  databaseUrl?: string,
): Promise<string[][]> {
  const rows: string[][] = [];
  // Said as they come too: a bench that dies later still leaves these.
  const push = (row: string[]): void => {
    rows.push(row);
    say(row.filter(Boolean).join(' | '));
  };
  await installation.start(['scheduler']);
  for (let i = 0; i < workers; i++) await installation.start(['worker', '--concurrency', String(concurrency)]);
  const rate = async (dagId: string): Promise<number> => {
    say(`${label}: ${dagId}`);
    return 3000 / (await installation.runDag(dagId)).seconds;
  };
  const base = await rate(JOIN_SHAPES.independent);
  push([`(${tag}) ${label}: 3,000 independent noop tasks`, `${base.toFixed(0)} tasks/s`, '1x', '']);
  const sampler = databaseUrl ? new LockWaitSampler(databaseUrl) : null;
  await sampler?.start();
  const fanIn = await rate(JOIN_SHAPES.fanIn);
  const waits = await sampler?.stop();
  push([
    `(k) ${label}: one root -> 3,000 -> one join`,
    `${fanIn.toFixed(0)} tasks/s`,
    `${(fanIn / base).toFixed(2)}x independent`,
    '>= 0.8x',
  ]);
  if (waits) push([`(k) ${label}: fan-in, lock waits`, waits, '', '']);
  const stages = await rate(JOIN_SHAPES.stages);
  push([
    `(l) ${label}: 30 stages of 100 joined by barriers`,
    `${stages.toFixed(0)} tasks/s`,
    `${(stages / base).toFixed(2)}x independent`,
    '>= 0.8x',
  ]);
  await installation.stopAll();
  return rows;
}
