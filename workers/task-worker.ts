import { hostname } from 'node:os';
import { DelayedError, WaitingError, Worker, type Job } from 'bullmq';
import { localDagFile } from '../engine/dag-processing/dag-file-location.ts';
import { DagModuleCache } from '../engine/dag-processing/dag-module-cache.ts';
import { defaultDagsFolder } from '../engine/config/updraft-home.ts';
import { runTaskTry, workerIdentity, type TryOutcome } from '../engine/execution/task-runner.ts';
import { DEFAULT_TRY_HEARTBEAT_MS, TryTerminator, tryHeartbeatMs, zombieThresholdMs } from '../engine/execution/try-terminator.ts';
import { createLogger, type Logger } from '../engine/logging/logger.ts';
import { TaskInstanceState } from '../engine/models/states.ts';
import type { TryTerminatedError } from '../engine/models/errors.ts';
import { formatLogLine } from '../engine/execution/task-log-buffer.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import type { FinishedTry } from '../engine/execution/try-outcome.ts';
import type { TaskCompletion, TaskJob } from '../engine/queue/interfaces.ts';
import { DagStructure, type TaskSpec } from '../engine/models/dag-spec.ts';
import { runKeyString, type TaskInstanceKey } from '../engine/models/task-instance-key.ts';
import { TaskQueues, taskQueueName } from '../engine/queue/task-queues.ts';
import { logQueueErrors } from '../engine/queue/redis-connection.ts';
import type { Store } from '../engine/store/store.ts';
import type { SchedulerJob } from '../engine/store/small-repositories.ts';
import type { TaskInstance } from '../engine/store/task-instance-repository.ts';
import type { DagRun } from '../engine/store/dag-run-repository.ts';
import type { Dag } from '../engine/models/dag.ts';
import { clockFromEnv, type Clock } from '../engine/utils/clock.ts';
import type { TaskWorkerOptions } from './interfaces.ts';
import { runIsolatedTry } from './isolated-try.ts';
import { SchedulerNotices } from './scheduler-notices.ts';

const seconds = (env: string | undefined, fallback: number): number => (env ? Number(env) * 1000 : fallback);

/**
 * Test hook: the worker SIGKILLs itself right after a try's outcome (and the
 * downstream it queued) committed, before it enqueues anything, to prove the
 * scheduler repairs that gap. Never set it in production.
 */
const DIE_BEFORE_HAND_OFF = process.env.UPDRAFT_TEST_DIE_BEFORE_HAND_OFF === '1';

/**
 * `updraft worker`: takes task tries from BullMQ, runs them through the one
 * task runner, records every transition with compare-and-set, and hands off
 * where the event happens: the transaction that records a try's outcome also
 * queues the downstream tries it made ready, and this worker enqueues them
 * (and the retry, a delayed job) right after the commit. The job's return
 * value tells the scheduler, whose pass then finds nothing left to do.
 */
export class TaskWorker {
  readonly id = workerIdentity();
  private readonly queuedBy = `worker ${this.id}`;
  private readonly owner = { hostname: hostname(), workerId: this.id };
  /** This worker's row in the job table (wall-clock times: liveness is about real time). */
  private readonly job: Omit<SchedulerJob, 'latestHeartbeat'>;
  private readonly queues: TaskQueues;
  private readonly workers: Worker[] = [];
  private readonly modules = new DagModuleCache();
  private readonly shutdown = new AbortController();
  private readonly log: Logger;
  private readonly clock: Clock = clockFromEnv();
  /** The tries running here: their heartbeat, and their termination when changed from outside. */
  private readonly terminator: TryTerminator;
  /** Runs seen recently: a run's id, dates and conf never change, so one read serves all its tasks. */
  private readonly runs = new Map<string, DagRun>();
  /** Each DAG's file on this host (see localDagFile); remembered, since it changes only when the file moves. */
  private readonly locations = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Tells the scheduler of finishes after which nothing else looks at the run. */
  private readonly notices: SchedulerNotices;
  /** Enqueues of hand-offs (and notices to the scheduler) still on their way to Redis; stop() waits for them. */
  private readonly handOffs = new Set<Promise<void>>();
  private finishedTries = 0;
  /** Set once this worker found a job of another deployment: from then on it hands every job back and exits. */
  private refusing = false;
  /** A try whose heartbeat is older than this has lost its worker (`UPDRAFT_ZOMBIE_THRESHOLD_SECONDS`). */
  private readonly lostAfterMs = zombieThresholdMs();
  private readonly options: Required<
    Pick<TaskWorkerOptions, 'queues' | 'concurrency' | 'lockDurationMs' | 'shutdownGraceMs' | 'dagsFolder'>
  >;

  constructor(
    private readonly store: Store,
    options: TaskWorkerOptions = {},
    log?: Logger,
  ) {
    this.queues = new TaskQueues(options, store.deploymentId);
    this.job = {
      id: `worker:${this.id}:${Date.now()}`,
      jobType: 'WorkerJob',
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      lastLoopMs: 0,
      queues: options.queues ?? ['default'],
    };
    this.log = log ?? createLogger('worker');
    this.options = {
      queues: options.queues ?? ['default'],
      concurrency: options.concurrency ?? 4,
      lockDurationMs: options.lockDurationMs ?? seconds(process.env.UPDRAFT_WORKER_LOCK_SECONDS, 30_000),
      shutdownGraceMs: options.shutdownGraceMs ?? seconds(process.env.UPDRAFT_WORKER_GRACE_SECONDS, 30_000),
      dagsFolder: options.dagsFolder ?? defaultDagsFolder(),
    };
    const heartbeatMs =
      options.heartbeatIntervalMs ?? tryHeartbeatMs(Math.min(DEFAULT_TRY_HEARTBEAT_MS, Math.max(500, this.options.lockDurationMs / 3)));
    this.notices = new SchedulerNotices(store, this.queues, this.log);
    this.terminator = new TryTerminator(store, {
      intervalMs: heartbeatMs,
      now: () => this.clock.now(),
      inThread: true,
      onError: (err) => this.log.error({ err }, 'heartbeat failed'),
    });
  }

  start(): void {
    for (const name of this.options.queues) {
      const worker = new Worker<TaskJob, TaskCompletion | null>(taskQueueName(name), (job, token) => this.process(job, token), {
        connection: this.queues.connection,
        prefix: this.queues.prefix,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: Math.max(1000, Math.floor(this.options.lockDurationMs / 2)),
        // A stalled job comes back to a worker, which fails or retries the lost
        // try by Updraft's own rules; BullMQ must not give up on it first.
        maxStalledCount: 1000,
      });
      logQueueErrors(worker, this.log, 'queue error', { queue: name });
      this.workers.push(worker);
    }
    // The store-side heartbeat of running tries lets the scheduler tell a live
    // task whose job vanished from Redis (FLUSHALL) from one whose worker died,
    // and stops a try whose state was changed from outside.
    this.terminator.start();
    this.heartbeat = setInterval(
      () => {
        // The worker's own liveness (`jobs check --job-type WorkerJob`): it beats only while it can take work.
        if (this.redisReady())
          void this.store.schedulerJobs
            .heartbeat({ ...this.job, latestHeartbeat: new Date().toISOString() })
            .catch((err) => this.log.error({ err }, 'heartbeat failed'));
      },
      Math.min(5000, Math.max(500, this.options.lockDurationMs / 3)),
    );
    this.log.info({ worker_id: this.id, queues: this.options.queues, concurrency: this.options.concurrency }, 'worker started');
  }

  /** How long running tasks may take to finish after SIGTERM. */
  get shutdownGraceMs(): number {
    return this.options.shutdownGraceMs;
  }

  /** False while the Redis connection is down (connecting, reconnecting, closed). */
  redisReady(): boolean {
    return this.queues.connection.status === 'ready';
  }

  /**
   * SIGTERM: stop taking work, give running tasks the grace period, then hand
   * the rest back to the queue (the same try runs again elsewhere) and exit.
   */
  async stop(): Promise<void> {
    this.log.info({ grace_ms: this.options.shutdownGraceMs }, 'worker stopping: no new tasks');
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const grace = setTimeout(() => this.shutdown.abort(), this.options.shutdownGraceMs);
    await closing;
    clearTimeout(grace);
    await Promise.all(this.handOffs);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.terminator.stop();
    await this.queues.close();
    // The statement counter lets the bench report store statements and commits per task.
    this.log.info(
      { tries_finished: this.finishedTries, store_statements: this.store.counts.statements, store_commits: this.store.counts.commits },
      'worker stopped',
    );
  }

  /** Returns the try's outcome (the job's return value, read by the scheduler), or null when nothing changed. */
  private async process(job: Job<TaskJob>, token: string | undefined): Promise<TaskCompletion | null> {
    const { deploymentId, ...key } = job.data;
    // Jobs enqueued before deployment ids existed carry none: accept them.
    if (this.refusing || (deploymentId !== undefined && deploymentId !== this.store.deploymentId))
      return this.refuseJob(job, token, deploymentId);
    const log = this.log.child({ dag_id: key.dagId, run_id: key.runId, task_id: key.taskId, try_number: key.tryNumber });
    const [location, run] = await Promise.all([this.location(key.dagId), this.run(key.dagId, key.runId)]);
    if (!location || !run) {
      log.warn('task for an unknown DAG or run; dropped');
      return null;
    }

    const now = this.clock.now();
    const preloaded = await this.loadDag(key.dagId, location.fileloc).catch(() => undefined);
    const ti = await tryLifecycleOf(this.store).tryStarted(key, this.owner, now);
    if (!ti) {
      const current = await this.store.tasks.get(key);
      if (current?.state === TaskInstanceState.RUNNING) {
        // BullMQ gave us a job another worker held: that worker died, or a task blocked its event loop past the lock.
        const silentMs = this.clock.now().getTime() - new Date(current.updatedAt).getTime();
        if (silentMs < this.lostAfterMs) {
          // Its heartbeat (a thread of its own) is fresh: the worker lives, its try runs; the job is let go, the store keeps the truth.
          log.warn(
            { previous_worker: current.workerId, heartbeat_age_ms: silentMs },
            'job delivered again while its try runs on a live worker: left to that worker',
          );
          return null;
        }
        log.warn({ previous_worker: current.workerId }, 'try was running on a lost worker: failing it per its retries');
        const message = `task's worker ${current.workerId ?? '?'} was lost (no heartbeat; stalled job)`;
        return this.afterTry(current, await this.failLost(current, run, message, location.fileloc), log, null);
      }
      log.debug({ state: current?.state }, 'duplicate delivery ignored');
      return null;
    }
    log.info({ worker_id: this.id }, 'task started');

    let outcome: TryOutcome;
    const terminate = this.terminator.watch(ti);
    try {
      const { dag, file } = preloaded ?? (await this.loadDag(key.dagId, location.fileloc));
      const spec = dag.structure().tasks.get(key.taskId);
      outcome =
        spec?.isolation === 'process'
          ? await this.runIsolated(key, file, spec, run, ti, terminate)
          : await runTaskTry({
              store: this.store,
              dag,
              run,
              ti,
              clock: this.clock,
              signal: this.shutdown.signal,
              terminate,
              queuedBy: this.queuedBy,
            });
    } catch (error) {
      outcome = await this.failLost(ti, run, `could not run task: ${(error as Error).message}`, location.fileloc);
    } finally {
      this.terminator.unwatch(ti);
    }

    if (outcome.state === 'terminated') {
      log.warn({ reason: outcome.reason }, 'task terminated: its state was changed from outside');
      return null;
    }

    if (outcome.state === TaskInstanceState.QUEUED) {
      log.warn('handed back to the queue (worker shutting down)');
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    return this.afterTry(ti, outcome, log, preloaded?.dag.structure() ?? null);
  }

  /**
   * ADR 11, docs/adr/0011-a-deployment-has-an-identity.md: a job of another deployment means this worker is pointed at
   * the wrong store (or two deployments share a Redis prefix). It must not
   * complete the job — the real deployment's try would stay queued forever.
   * It says so once, stops fetching, and puts the job (and any other it
   * fetched meanwhile) straight back in the wait list, so a worker of the
   * right deployment takes it now rather than after BullMQ's stall check
   * (a lock's length later, when a short `task_queued_timeout` may already
   * have failed the try); then it exits non-zero.
   */
  private async refuseJob(job: Job<TaskJob>, token: string | undefined, deploymentId: string | undefined): Promise<never> {
    if (!this.refusing) {
      this.refusing = true;
      this.log.fatal(
        { job_id: job.id, job_deployment_id: deploymentId, store_deployment_id: this.store.deploymentId },
        `job ${job.id} belongs to deployment ${deploymentId} but this worker's store is deployment ${this.store.deploymentId}: wrong UPDRAFT_DATABASE_URL / UPDRAFT_HOME, or two deployments share one Redis prefix; this worker stops taking work`,
      );
      void this.exitAfterHandingBack();
    }
    // Paused first (above): the job goes to the head of the wait list, and this worker must not fetch it again.
    await job.moveToWait(token);
    this.log.warn({ job_id: job.id }, 'job handed back to the queue for a worker of its deployment');
    throw new WaitingError();
  }

  /** Exit 3 once every worker is paused and its jobs are handed back (or finished); a try of this deployment gets the shutdown grace. */
  private async exitAfterHandingBack(): Promise<never> {
    const grace = setTimeout(() => process.exit(3), this.options.shutdownGraceMs);
    // pause() sets the flag at once and resolves when the jobs in hand are done: never awaited inside a job.
    await Promise.all(this.workers.map((worker) => worker.pause())).catch((err: unknown) =>
      this.log.error({ err }, 'pausing the refusing worker failed'),
    );
    clearTimeout(grace);
    process.exit(3);
  }

  /** `isolation: 'process'`: the try runs in a child process; a child that died or hung is failed (or handed back) here. */
  private async runIsolated(
    key: TaskInstanceKey,
    fileloc: string,
    spec: TaskSpec,
    run: DagRun,
    ti: TaskInstance,
    terminate: AbortSignal,
  ): Promise<TryOutcome> {
    const reply = await runIsolatedTry({ key, fileloc, queuedBy: this.queuedBy }, spec.executionTimeoutMs, this.shutdown.signal, terminate);
    if ('outcome' in reply) return reply.outcome;
    if (terminate.aborted) {
      // The child did not get to write why (it hung or died): the log says so here, unless the run is gone.
      const reason = terminate.reason as TryTerminatedError;
      if (reason.newState !== null)
        await this.store.logs.appendAfterLast(
          ti,
          `${formatLogLine(ti.taskId, 'WARNING', `${reason.message} (${reply.failure})`)}\n`,
          this.clock.now(),
        );
      return { state: 'terminated', recorded: false, reason: reason.message };
    }
    if (this.shutdown.signal.aborted)
      return { state: TaskInstanceState.QUEUED, recorded: await tryLifecycleOf(this.store).handBackTry(ti, this.clock.now()) };
    return this.failLost(ti, run, reply.failure, fileloc);
  }

  /** Fails a try this worker could not run, or found lost; its downstream is evaluated from the DAG as loaded, else as last parsed. */
  private async failLost(ti: TaskInstance, run: DagRun, message: string, fileloc: string): Promise<FinishedTry> {
    let structure: DagStructure | null;
    try {
      structure = (await this.loadDag(ti.dagId, fileloc)).dag.structure();
    } catch {
      const stored = await this.store.dags.get(ti.dagId);
      structure = stored ? new DagStructure(stored.spec) : null;
    }
    return tryLifecycleOf(this.store).failLostTry(ti, run, message, { structure, queuedBy: this.queuedBy }, this.clock.now());
  }

  /** Where a DAG's file is on this host: inside this worker's DAG folder, where the parsing host had it in its own (see loadDag for a file that moved). */
  private async location(dagId: string): Promise<{ fileloc: string } | undefined> {
    const known = this.locations.get(dagId);
    if (known) return { fileloc: known };
    const location = await this.store.dags.location(dagId);
    if (!location) return undefined;
    const fileloc = localDagFile(location, this.options.dagsFolder);
    this.locations.set(dagId, fileloc);
    return { fileloc };
  }

  /**
   * The DAG from its file. A file that moved or no longer defines it sends us
   * back to the store once: to this host's copy as the store now records it,
   * else to the path the parsing host recorded (this folder may hold another
   * file of the same name).
   */
  private async loadDag(dagId: string, fileloc: string): Promise<{ dag: Dag; file: string }> {
    try {
      return { dag: await this.modules.get(dagId, fileloc), file: fileloc };
    } catch (error) {
      this.locations.delete(dagId);
      const recorded = await this.store.dags.location(dagId);
      if (!recorded) throw error;
      for (const candidate of new Set([localDagFile(recorded, this.options.dagsFolder), recorded.fileloc])) {
        if (candidate === fileloc) continue;
        const dag = await this.modules.get(dagId, candidate).catch(() => null);
        if (!dag) continue;
        this.locations.set(dagId, candidate);
        return { dag, file: candidate };
      }
      throw error;
    }
  }

  private async run(dagId: string, runId: string): Promise<DagRun | undefined> {
    const key = runKeyString(dagId, runId);
    let run = this.runs.get(key);
    if (!run) {
      run = await this.store.runs.get(dagId, runId);
      if (!run) return undefined;
      if (this.runs.size >= 1000) this.runs.delete(this.runs.keys().next().value!);
      this.runs.set(key, run);
    }
    return run;
  }

  /**
   * Right after the commit: enqueues what the try's outcome queued (downstream,
   * retry) and returns what the scheduler hears. The enqueue is not awaited
   * before the job completes: both commands go down the same Redis connection
   * back to back, so the completion usually fetches the new job at once, and
   * the hop costs one round trip instead of two. An enqueue that fails is
   * repaired by the scheduler's reconciliation (queued try, no job).
   */
  private afterTry(ti: TaskInstance, outcome: FinishedTry, log: Logger, structure: DagStructure | null): TaskCompletion | null {
    if (!outcome.recorded) return null;
    this.finishedTries++;
    if (DIE_BEFORE_HAND_OFF) process.kill(process.pid, 'SIGKILL');
    const handOff = Promise.all([
      this.queues
        .handOff(ti, outcome)
        .catch((err: unknown) => log.error({ err }, 'hand-off enqueue failed: the scheduler will enqueue the queued tries')),
      this.notices.afterFinish(ti, outcome, structure),
    ])
      .then(() => undefined)
      .finally(() => this.handOffs.delete(handOff));
    this.handOffs.add(handOff);
    // Logged after the enqueue is on its way: the log line's write is not in the hop.
    log.info({ state: outcome.state, error: outcome.error ?? undefined, queued: outcome.queued.length }, 'task finished');
    return {
      dagId: ti.dagId,
      runId: ti.runId,
      taskId: ti.taskId,
      tryNumber: ti.tryNumber,
      state: outcome.state,
      queued: outcome.queued.length,
    };
  }
}
