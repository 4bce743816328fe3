import { watch, type FSWatcher } from 'node:fs';
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { dagsFolder, parseDagFolder } from '../dag-processing/dag-folder.ts';
import { DagFileParseCache } from '../dag-processing/file-parse-cache.ts';
import { DagParsePool } from '../dag-processing/parse-pool.ts';
import { syncDagFolder } from '../dag-processing/sync.ts';
import { advanceDagRun } from '../execution/dag-run-evaluator.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { DagStructure } from '../models/dag-spec.ts';
import { DagRunState } from '../models/states.ts';
import { runKeyParts, runKeyString } from '../models/task-instance-key.ts';
import type { SchedulerEvent } from '../queue/interfaces.ts';
import { SCHEDULER_EVENTS_QUEUE, TaskQueues } from '../queue/task-queues.ts';
import { logQueueErrors } from '../queue/redis-connection.ts';
import type { Store } from '../store/store.ts';
import { clockFromEnv, sleep, type Clock } from '../utils/clock.ts';
import { ActiveSchedulerLease } from './active-scheduler-lease.ts';
import { enqueueTries } from './dispatch.ts';
import { failOrphanedLocalRuns, timeOutRuns, type RunEndContext } from './run-endings.ts';

import { resolveSchedulerTimings, type SchedulerOptions } from './interfaces.ts';
import { failZombies, reconcile, type ReconcileContext } from './reconciler.ts';
import { createDueRuns, startQueuedRuns, type SchedulableDag } from './run-creation.ts';

/** How often a run whose leaves are finishing is looked at while it has unfinished tries. */
const LEAF_RECHECK_MS = 50;

/**
 * `updraft scheduler`: parses the DAG folder, creates due runs, starts them
 * (queueing their first tasks), finishes and times out runs. Workers hand
 * off to the downstream of the tasks they finish; the scheduler hears of a
 * finish only when nothing else will follow it (a worker's notice on its
 * events queue, see workers/scheduler-notices.ts) and re-checks the run — in
 * the normal case it finds nothing left to queue, only the run to finish.
 * Timers drive the clock-based work (schedules, timeouts), the zombie check
 * (tries whose worker was lost) and the reconciliation safety net (queued
 * tries whose job is missing).
 */
export class Scheduler {
  readonly clock: Clock;
  private readonly queues: TaskQueues;
  private readonly log: Logger;
  private readonly timings: ReturnType<typeof resolveSchedulerTimings>;
  private readonly folder: string;
  private readonly structures = new Map<string, DagStructure>();
  private readonly advancing = new Map<string, { next: Set<string> | 'all' | null; done: Promise<void> }>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Loop passes in flight: stop() lets them end before the store and Redis close under them. */
  private readonly loops = new Set<Promise<unknown>>();
  private events: Worker | null = null;
  private watcher: FSWatcher | null = null;
  private parsing: Promise<void> | null = null;
  private reparseRequested = false;
  /** The DAG processor's threads, kept between parses (a new thread per file and parse cost more than the imports). */
  private readonly parsePool = new DagParsePool();
  /** Each file's last result: a file unchanged since (it and the local modules it imports) is not imported again. */
  private readonly parseCache = new DagFileParseCache();
  private stopped = false;
  /** This scheduler's heartbeat row. Wall-clock times: liveness is about real time, not the injected clock. */
  private readonly job = { id: `${hostname()}:${process.pid}:${Date.now()}`, hostname: hostname(), startedAt: new Date().toISOString() };
  private readonly queuedBy = `scheduler ${hostname()}:${process.pid}`;
  private readonly runEnds: RunEndContext;
  /** SQLite only: the lease that makes this the one active scheduler. */
  private lease: ActiveSchedulerLease | null = null;

  constructor(
    private readonly store: Store,
    options: SchedulerOptions = {},
    log?: Logger,
  ) {
    this.clock = options.clock ?? clockFromEnv();
    this.queues = new TaskQueues(options, store.deploymentId);
    this.log = log ?? createLogger('scheduler');
    this.runEnds = { store, log: this.log, structureOf: (id) => this.structureOf(id) };
    this.timings = resolveSchedulerTimings(options);
    this.folder = dagsFolder(options.dagsFolder);
  }

  async start(): Promise<void> {
    if (this.store.dialect === 'sqlite') {
      this.lease = new ActiveSchedulerLease(this.store, this.job.id, this.log);
      await this.lease.acquire();
    }
    await this.store.schedulerJobs.prune(new Date(Date.now() - 24 * 3600_000));
    await this.parseDags();
    await this.reconcile();
    this.events = new Worker<SchedulerEvent>(SCHEDULER_EVENTS_QUEUE, (job) => this.onEvent(job), {
      connection: this.queues.connection,
      prefix: this.queues.prefix,
      concurrency: 64,
    });
    logQueueErrors(this.events, this.log, 'events queue error');
    this.every(this.timings.tickMs, () => this.tick());
    this.every(this.timings.reconcileIntervalMs, () => this.reconcile());
    this.every(this.timings.zombieCheckMs, () => this.failZombies());
    this.every(this.timings.dagDirListIntervalMs, () => this.parseDags());
    try {
      this.watcher = watch(this.folder, { recursive: true }, () => this.requestReparse());
    } catch (err) {
      this.log.warn({ err, folder: this.folder }, 'cannot watch the DAG folder; relying on periodic re-parse');
    }
    await this.tick();
    this.log.info({ dags_folder: this.folder, dags: this.structures.size, prefix: this.queues.prefix }, 'scheduler started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    this.watcher?.close();
    await this.parsePool.close();
    await Promise.all(this.loops);
    await this.events?.close();
    await Promise.all([...this.advancing.values()].map((a) => a.done));
    await this.queues.close();
    // Last: a standing-by scheduler takes over now instead of after the lease expires.
    await this.lease
      ?.release()
      .catch((err: unknown) => this.log.warn({ err }, 'could not release the scheduler lease (it expires by itself)'));
    this.log.info({ store_statements: this.store.counts.statements, store_commits: this.store.counts.commits }, 'scheduler stopped');
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    let busy: Promise<unknown> | null = null;
    this.timers.push(
      setInterval(() => {
        if (busy || this.stopped) return;
        const running = fn()
          .catch((err) => this.log.error({ err }, 'scheduler loop error'))
          .finally(() => {
            busy = null;
            this.loops.delete(running);
          });
        busy = running;
        this.loops.add(running);
      }, ms),
    );
  }

  private requestReparse(): void {
    // Something in the folder changed: a helper module the threads cached may be among it.
    this.parsePool.retire();
    if (this.reparseRequested) return;
    this.reparseRequested = true;
    setTimeout(() => {
      this.reparseRequested = false;
      void this.parseDags().catch((err) => this.log.error({ err }, 'DAG parse failed'));
    }, 300).unref();
  }

  /** Parses the folder (each file isolated) and records DAGs and import errors. */
  private parseDags(): Promise<void> {
    this.parsing ??= (async () => {
      const parse = await parseDagFolder(this.folder, { pool: this.parsePool, cache: this.parseCache });
      // Stopping ended the parse threads: what they reported is not the folder's state.
      if (this.stopped) return;
      const { deactivated } = await syncDagFolder(this.store, parse, this.clock.now());
      const previous = new Set(this.structures.keys());
      for (const { spec } of parse.dags.values()) this.structures.set(spec.dagId, new DagStructure(spec));
      for (const id of deactivated) this.structures.delete(id);
      const added = [...parse.dags.keys()].filter((id) => !previous.has(id));
      if (added.length || deactivated.length) this.log.info({ added, removed: deactivated }, 'DAG folder changed');
      for (const e of parse.importErrors) this.log.warn({ file: e.filename, error: e.message }, 'DAG import error');
    })().finally(() => (this.parsing = null));
    return this.parsing;
  }

  /** The DAG as last parsed here, else as the store last recorded it (a DAG whose file vanished mid-run). */
  private async structureOf(dagId: string): Promise<DagStructure | undefined> {
    const known = this.structures.get(dagId);
    if (known) return known;
    const spec = (await this.store.dags.get(dagId))?.spec;
    return spec && new DagStructure(spec);
  }

  /** Clock-driven work: due runs, queued runs to start, run timeouts; then a heartbeat with the loop's duration. */
  private async tick(): Promise<void> {
    if (this.lease && !(await this.lease.renew())) {
      // Another scheduler took over (this one stalled past the lease): two must never run on one SQLite store.
      this.log.fatal('lost the active-scheduler lease to another scheduler: exiting');
      process.exit(1);
    }
    const began = performance.now();
    const now = this.clock.now();
    // A DAG without a timetable (triggered only) has no run to create: it needs its transaction
    // only while it has a queued run to start. Idle, such DAGs cost one read per tick, not one transaction each.
    const withQueuedRuns = await this.store.runs.dagIdsWithRunsIn([DagRunState.QUEUED]);
    for (const flags of await this.store.dags.flags()) {
      const spec = this.structures.get(flags.dagId)?.spec;
      if (!spec || !flags.isActive) continue;
      if ((spec.schedule === null || !spec.startDate) && !withQueuedRuns.has(flags.dagId)) continue;
      await this.scheduleDag({ ...flags, spec }, now);
    }
    await timeOutRuns(this.runEnds, now);
    await this.store.schedulerJobs.heartbeat({
      ...this.job,
      latestHeartbeat: new Date().toISOString(),
      lastLoopMs: performance.now() - began,
    });
  }

  /**
   * Creates the DAG's due runs and starts its queued ones, in one transaction
   * holding the DAG's row: on PostgreSQL a scheduler that finds the row
   * locked skips the DAG (another one is on it, Airflow 2's HA scheduler), so
   * several schedulers share the work without a global lock.
   */
  private async scheduleDag(dag: SchedulableDag, now: Date): Promise<void> {
    const { created, started } = await this.store.atomically(async (tx) => {
      if (!(await tx.dags.lockForScheduling(dag.dagId, tx.dialect))) return { created: [], started: [] };
      return { created: await createDueRuns(tx, dag, now), started: await startQueuedRuns(tx, dag, now) };
    });
    for (const run of created) this.log.info({ dag_id: run.dagId, run_id: run.runId }, 'run created');
    for (const run of started) {
      this.log.info({ dag_id: run.dagId, run_id: run.runId }, 'run started');
      void this.advance(run.dagId, run.runId);
    }
  }

  private reconcileContext(): ReconcileContext {
    return {
      store: this.store,
      queues: this.queues,
      clock: this.clock,
      log: this.log,
      taskQueuedTimeoutMs: this.timings.taskQueuedTimeoutMs,
      zombieThresholdMs: this.timings.zombieThresholdMs,
      structureOf: (id) => this.structureOf(id),
      queuedBy: this.queuedBy,
    };
  }

  /** Lost tries (a worker killed, its host gone) are failed and retried within the zombie threshold and a second. */
  private async failZombies(): Promise<void> {
    const touched = await failZombies(this.reconcileContext());
    await this.advanceRuns(touched);
  }

  /** Advances each of these runs (as {@link runKeyString}), the whole run. */
  private async advanceRuns(keys: Iterable<string>): Promise<void> {
    await Promise.all([...keys].map((key) => this.advance(...runKeyParts(key))));
  }

  private async reconcile(): Promise<void> {
    await failOrphanedLocalRuns(this.runEnds, this.clock.now());
    const touched = await reconcile(this.reconcileContext());
    for (const run of await this.store.runs.listByState([DagRunState.RUNNING])) touched.add(runKeyString(run.dagId, run.runId));
    await this.advanceRuns(touched);
  }

  private async onEvent(job: Job<SchedulerEvent>): Promise<void> {
    const event = job.data;
    // A worker's finish that nothing else will follow: only its run may need a look (its end, a join two finishes raced on).
    if (event.type === 'task-finished') return this.advance(event.dagId, event.runId, [event.taskId]);
    const dag = await this.store.dags.get(event.dagId);
    if (dag) await this.scheduleDag(dag, this.clock.now());
    if (event.type !== 'dag-changed') await this.advance(event.dagId, event.runId);
  }

  /**
   * Advances one run: `changed` names tasks that just finished (only what they
   * affect is evaluated); without it the whole run is. Calls that arrive while
   * a pass is running merge into one more pass, so a burst of finished tasks
   * costs a few passes, not one each.
   */
  advance(dagId: string, runId: string, changed?: readonly string[]): Promise<void> {
    const key = runKeyString(dagId, runId);
    const merge = (into: Set<string> | 'all' | null): Set<string> | 'all' =>
      !changed || into === 'all' ? 'all' : new Set([...(into ?? []), ...changed]);
    const current = this.advancing.get(key);
    if (current) {
      current.next = merge(current.next);
      return current.done;
    }
    const entry: { next: Set<string> | 'all' | null; done: Promise<void> } = { next: merge(null), done: Promise.resolve() };
    entry.done = (async () => {
      try {
        while (entry.next && !this.stopped) {
          const work = entry.next;
          entry.next = null;
          // A wide run's leaves finish by the thousand, and each look costs the store an index scan:
          // while the run has unfinished tries one look per LEAF_RECHECK_MS is enough, the completions
          // that arrive meanwhile merging into the next.
          if ((await this.advanceOnce(dagId, runId, work === 'all' ? undefined : [...work])) === 'unfinished') await sleep(LEAF_RECHECK_MS);
        }
      } catch (err) {
        this.log.error({ err, dag_id: dagId, run_id: runId }, 'advancing run failed');
      } finally {
        this.advancing.delete(key);
      }
    })();
    this.advancing.set(key, entry);
    return entry.done;
  }

  /** 'unfinished': only leaves changed, and the run still has unfinished tries, so nothing was to do. */
  private async advanceOnce(dagId: string, runId: string, changed?: string[]): Promise<'unfinished' | undefined> {
    const run = await this.store.runs.get(dagId, runId);
    // A run a local process executes (dags test, backfill) is never advanced here.
    if (!run || run.state !== DagRunState.RUNNING || run.executor) return;
    const structure = await this.structureOf(dagId);
    if (!structure) return;
    // Leaves that finished have no downstream to evaluate: they can only end the run, and
    // while any try is unfinished they cannot (a wide DAG's completions cost one read each).
    if (changed?.every((id) => structure.tasks.get(id)?.downstream.length === 0) && (await this.store.tasks.hasUnfinished(dagId, runId)))
      return 'unfinished';
    // One transaction decides what is ready and marks it queued; BullMQ hears of it after the commit.
    const step = await this.store.atomically(async (tx) => {
      await tx.runs.lockForPass(dagId, runId);
      return advanceDagRun(tx, structure, run, this.clock.now(), { changed, queuedBy: this.queuedBy });
    });
    if (changed && step.queued.length > 0)
      this.log.warn(
        { dag_id: dagId, run_id: runId, tasks: step.queued.map((t) => t.taskId) },
        'scheduler queued tasks a worker hand-off should have queued',
      );
    await enqueueTries(this.queues, step.queued);
    if (step.finished) {
      this.log.info({ dag_id: dagId, run_id: runId, state: step.finished }, 'run finished');
      const dag = await this.store.dags.get(dagId);
      if (dag) await this.scheduleDag(dag, this.clock.now());
    }
  }
}
