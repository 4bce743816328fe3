import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStoreWithPlugins } from '../../engine/plugins/open-store.ts';
import type { Store } from '../../engine/store/store.ts';
import type { DagRun } from '../../engine/store/dag-run-repository.ts';
import type { TaskInstance } from '../../engine/store/task-instance-repository.ts';
import { cliJson, tempDir } from './cli.ts';
import { startUpdraft, waitFor, type UpdraftProcess } from './processes.ts';
import { startRedis, type TestRedis } from './redis.ts';

/** A private installation: its own Redis, UPDRAFT_HOME, DAG folder, scheduler and worker processes. */
export class TestCluster {
  readonly processes: UpdraftProcess[] = [];
  readonly logDir: string;

  private constructor(
    readonly redis: TestRedis,
    readonly store: Store,
    readonly env: Record<string, string>,
  ) {
    this.logDir = join(env.UPDRAFT_HOME!, 'logs');
    mkdirSync(this.logDir, { recursive: true });
  }

  static async start(
    dagsFolder: string,
    env: Record<string, string> = {},
    redisOptions: { password?: string; tls?: boolean } = {},
  ): Promise<TestCluster> {
    const redis = await startRedis(redisOptions);
    const home = env.UPDRAFT_HOME ?? tempDir('updraft-home-');
    const store = await openStoreWithPlugins({ home, url: env.UPDRAFT_DATABASE_URL });
    return new TestCluster(redis, store, {
      UPDRAFT_DAGS_FOLDER: dagsFolder,
      REDIS_URL: redis.url,
      UPDRAFT_REDIS_PREFIX: redis.prefix,
      UPDRAFT_WORKER_LOCK_SECONDS: '2',
      UPDRAFT_RECONCILE_SECONDS: '1',
      UPDRAFT_ZOMBIE_THRESHOLD_SECONDS: '6',
      ...(redis.caFile ? { NODE_EXTRA_CA_CERTS: redis.caFile } : {}),
      ...env,
      UPDRAFT_HOME: home,
    });
  }

  scheduler(env: Record<string, string> = {}): UpdraftProcess {
    return this.track(startUpdraft(['scheduler'], { ...this.env, ...env }, this.logDir));
  }

  worker(args: string[] = [], env: Record<string, string> = {}): UpdraftProcess {
    return this.track(startUpdraft(['worker', ...args], { ...this.env, ...env }, this.logDir));
  }

  private track(p: UpdraftProcess): UpdraftProcess {
    this.processes.push(p);
    return p;
  }

  cli<T>(args: string[]): Promise<T> {
    return cliJson<T>(args, this.env);
  }

  async trigger(dagId: string, conf: Record<string, unknown> = {}): Promise<string> {
    const run = await this.cli<{ run_id: string }>(['dags', 'trigger', dagId, '--conf', JSON.stringify(conf)]);
    return run.run_id;
  }

  tries(dagId: string, runId: string): Promise<TaskInstance[]> {
    return this.store.tasks.allTries(dagId, runId);
  }

  async waitForRun(dagId: string, runId: string): Promise<DagRun> {
    return waitFor(`run ${runId} of ${dagId} to finish`, async () => {
      const run = await this.store.runs.get(dagId, runId);
      return run && (run.state === 'success' || run.state === 'failed') ? run : undefined;
    });
  }

  waitForTask(dagId: string, runId: string, taskId: string, states: string[]): Promise<TaskInstance> {
    return waitFor(`${taskId} in ${states.join('/')}`, async () => {
      const ti = (await this.store.tasks.latestTries(dagId, runId)).get(taskId);
      return ti && states.includes(ti.state) ? ti : undefined;
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGKILL')));
    await this.store.close();
    await this.redis.stop();
  }
}
