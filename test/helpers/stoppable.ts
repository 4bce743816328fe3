import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from './cluster.ts';
import { tempDir } from './cli.ts';
import { waitFor } from './processes.ts';
import { startWebserverProcess } from './webserver.ts';

/** True while a process (pid > 0) or a process group (pid < 0) has a member. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

/**
 * A cluster (scheduler, worker, webserver) whose DAGs wait to be stopped from
 * outside: `stop_bash` (a `sleep 600` bash task), `stop_isolated` (the same
 * with `isolation: 'process'`), `stop_fn` (a function awaiting ctx.signal),
 * `stop_paused` (a task that ends when the test writes a file, `open()`).
 * Bash tasks write their pid (`$$`: bash, leader of its own process group) to
 * `pidFile(task)`; `stop()` kills any group left behind, even after a failure.
 */
export class StoppableCluster {
  private constructor(
    readonly cluster: TestCluster,
    readonly api: string,
    private readonly pids: string,
  ) {}

  /** @param options.webserver - start a webserver too (its URL in {@link api}). @defaultValue `true` */
  static async start(options: { webserver?: boolean } = {}): Promise<StoppableCluster> {
    const pids = tempDir('updraft-stop-pids-');
    const sleeper = (name: string): string => `echo $$ > ${join(pids, `${name}.pid`)}; sleep 600 & wait`;
    const folder = tempDir('updraft-stop-dags-');
    writeFileSync(
      join(folder, 'stoppable.ts'),
      `
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dag } from 'updraft';

export const bash = dag({ dagId: 'stop_bash' });
bash.bash('sleeper', ${JSON.stringify(sleeper('sleeper'))}).to(bash.empty('after'));

export const isolated = dag({ dagId: 'stop_isolated' });
isolated.bash('iso_sleeper', ${JSON.stringify(sleeper('iso_sleeper'))}, { isolation: 'process' }).to(isolated.empty('pending'));

export const fn = dag({ dagId: 'stop_fn' });
fn.task('waiter', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))).to(fn.task('downstream', () => 'ran'));

export const gated = dag({ dagId: 'stop_paused' });
gated.task('gate', async (ctx) => {
  while (!existsSync(${JSON.stringify(join(pids, 'open'))})) await sleep(100, undefined, { signal: ctx.signal });
}).to(gated.task('then', () => 'ran'));
`,
    );
    const cluster = await TestCluster.start(folder);
    try {
      cluster.scheduler();
      cluster.worker(['--concurrency', '4']);
      // The webserver reads what the scheduler parsed: started after, it has no folder of its own to parse.
      await waitFor('the scheduler to parse the DAG folder', async () => (await cluster.store.dags.get('stop_paused')) !== undefined);
      if (options.webserver === false) return new StoppableCluster(cluster, '', pids);
      const web = await startWebserverProcess(cluster.env, cluster.logDir);
      cluster.processes.push(web.process);
      return new StoppableCluster(cluster, `${web.url}/api/v1`, pids);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  pidFile(task: string): string {
    return join(this.pids, `${task}.pid`);
  }

  /** The pid a bash task wrote, once it has. */
  readPid(task: string): Promise<number> {
    return waitFor(`${task}'s pid file`, async () => {
      const pid = existsSync(this.pidFile(task)) ? Number(readFileSync(this.pidFile(task), 'utf8').trim()) : 0;
      return pid > 0 && pid;
    });
  }

  /** Lets `stop_paused`'s gate task end. */
  open(): void {
    writeFileSync(join(this.pids, 'open'), '');
  }

  /** The state of each task's latest try in a run. */
  async states(dagId: string, runId: string): Promise<Record<string, string>> {
    return Object.fromEntries([...(await this.cluster.store.tasks.latestTries(dagId, runId))].map(([id, ti]) => [id, ti.state]));
  }

  log(dagId: string, runId: string, taskId: string): Promise<string> {
    return this.cluster.store.logs.read({ dagId, runId, taskId, tryNumber: 1 });
  }

  async stop(): Promise<void> {
    // A bash task's process group outlives a SIGKILLed worker: never leave one behind.
    for (const task of ['sleeper', 'iso_sleeper']) {
      const pid = existsSync(this.pidFile(task)) ? Number(readFileSync(this.pidFile(task), 'utf8').trim()) : 0;
      if (pid > 0 && alive(-pid)) process.kill(-pid, 'SIGKILL');
    }
    await this.cluster.stop();
  }
}
