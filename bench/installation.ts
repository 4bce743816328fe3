import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { cliJson, tempDir } from '../test/helpers/cli.ts';
import { startUpdraft, waitFor, type UpdraftProcess } from '../test/helpers/processes.ts';
import type { TestRedis } from '../test/helpers/redis.ts';

const ms = (iso: string | null): number => new Date(iso!).getTime();

/** What a process's last log line said about the store statements it sent. */
export interface ProcessCounts {
  statements: number;
  commits: number;
  triesFinished: number;
}

/** One Updraft installation for the bench: a store (SQLite in a temp home, or the given PostgreSQL), a DAG folder, processes. */
export class BenchInstallation {
  readonly env: Record<string, string>;
  private readonly logs: string;
  private readonly processes: UpdraftProcess[] = [];

  private constructor(
    readonly store: Store,
    env: Record<string, string>,
  ) {
    this.env = env;
    this.logs = join(env.UPDRAFT_HOME!, 'logs');
    mkdirSync(this.logs, { recursive: true });
  }

  static async open(redis: TestRedis, dagsFolder: string, extraEnv: Record<string, string> = {}): Promise<BenchInstallation> {
    const home = tempDir('updraft-bench-');
    const env = {
      UPDRAFT_HOME: home,
      UPDRAFT_DAGS_FOLDER: dagsFolder,
      REDIS_URL: redis.url,
      UPDRAFT_REDIS_PREFIX: `${redis.prefix}${Math.random().toString(36).slice(2, 8)}`,
      UPDRAFT_LOG_LEVEL: 'warn',
      UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'false',
      ...extraEnv,
    };
    const store = await openStoreWithPlugins({ home, url: extraEnv.UPDRAFT_DATABASE_URL });
    const installation = new BenchInstallation(store, env);
    await cliJson(['dags', 'reserialize'], env).catch(() => cliJson(['dags', 'list'], env));
    return installation;
  }

  /** Starts `updraft <args>` and waits for its start-up line. */
  async start(args: string[], marker = `${args[0]} started`): Promise<UpdraftProcess> {
    const p = startUpdraft(args, { ...this.env, UPDRAFT_LOG_LEVEL: 'info' }, this.logs);
    this.processes.push(p);
    await waitFor(`${marker} in ${p.logFile}`, async () => readFileSync(p.logFile, 'utf8').includes(marker), 120_000);
    return p;
  }

  /** Pids of the running `updraft <command>` processes (`scheduler`, `worker`). */
  pids(command: string): number[] {
    return this.processes.filter((p) => p.logFile.includes(`${command}-`)).map((p) => p.pid);
  }

  /** SIGTERM to every process; returns each one's statement counts from its 'stopped' line, by command. */
  async stopAll(): Promise<Map<string, ProcessCounts[]>> {
    const stopped = this.processes.splice(0);
    await Promise.all(stopped.map((p) => p.stop('SIGTERM')));
    const counts = new Map<string, ProcessCounts[]>();
    for (const p of stopped) {
      const line = readFileSync(p.logFile, 'utf8')
        .split('\n')
        .reverse()
        .find((l) => l.includes('store_statements'));
      if (!line) continue;
      const fields = JSON.parse(line) as { store_statements: number; store_commits: number; tries_finished?: number };
      const kind = p.logFile.includes('scheduler') ? 'scheduler' : 'worker';
      counts.set(kind, [
        ...(counts.get(kind) ?? []),
        { statements: fields.store_statements, commits: fields.store_commits, triesFinished: fields.tries_finished ?? 0 },
      ]);
    }
    return counts;
  }

  /** Triggers a run and waits for it; seconds from trigger (queued) and from start to the end. */
  async runDag(dagId: string): Promise<{ runId: string; seconds: number; fromTrigger: number }> {
    const { run_id: runId } = await cliJson<{ run_id: string }>(['dags', 'trigger', dagId], this.env);
    const run = await waitFor(
      `${dagId} to finish`,
      async () => {
        const r = await this.store.runs.get(dagId, runId);
        return r && (r.state === 'success' || r.state === 'failed') ? r : undefined;
      },
      900_000,
    );
    if (run.state !== 'success') throw new Error(`${dagId} run ${runId} ${run.state}`);
    return { runId, seconds: (ms(run.endDate) - ms(run.startDate)) / 1000, fromTrigger: (ms(run.endDate) - ms(run.queuedAt)) / 1000 };
  }

  /** Hop times of a chain run: downstream start minus upstream end, in chain order. */
  async hops(dagId: string, runId: string): Promise<number[]> {
    const tries = (await this.store.tasks.allTries(dagId, runId)).sort((a, b) => Number(a.taskId.slice(1)) - Number(b.taskId.slice(1)));
    return tries.slice(1).map((t, i) => ms(t.startDate) - ms(tries[i]!.endDate));
  }

  async close(): Promise<void> {
    await this.stopAll();
    await this.store.close();
  }
}
