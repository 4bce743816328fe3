import { Worker } from 'node:worker_threads';
import { TryTerminatedError } from '../models/errors.ts';
import { TaskInstanceState } from '../models/states.ts';
import { keyOf, keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { Store } from '../store/store.ts';
import type { HeartbeatCommand, HeartbeatReport, HeartbeatThreadData } from './heartbeat-beats.ts';

/** How often a worker beats for its running tries (and so notices a try changed from outside), unless configured. */
export const DEFAULT_TRY_HEARTBEAT_MS = 2_000;

/** A running try whose heartbeat is older than this is lost (Airflow's zombie threshold), unless configured. */
export const DEFAULT_ZOMBIE_THRESHOLD_MS = 7_000;

const secondsFromEnv = (name: string): number | null => {
  const seconds = Number(process.env[name]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
};

/** `$UPDRAFT_WORKER_HEARTBEAT_SECONDS` in ms, else `fallback`; at least 100 ms. */
export function tryHeartbeatMs(fallback: number = DEFAULT_TRY_HEARTBEAT_MS): number {
  return Math.max(100, secondsFromEnv('UPDRAFT_WORKER_HEARTBEAT_SECONDS') ?? fallback);
}

/** `$UPDRAFT_ZOMBIE_THRESHOLD_SECONDS` in ms, else {@link DEFAULT_ZOMBIE_THRESHOLD_MS}. */
export function zombieThresholdMs(): number {
  return secondsFromEnv('UPDRAFT_ZOMBIE_THRESHOLD_SECONDS') ?? DEFAULT_ZOMBIE_THRESHOLD_MS;
}

const HEARTBEAT_THREAD = new URL('./heartbeat-thread.mjs', import.meta.url);

export interface TryTerminatorOptions {
  /** Time between beats. @defaultValue {@link tryHeartbeatMs} */
  intervalMs?: number;
  /** "Now" for `updated_at`. @defaultValue the system clock */
  now?: () => Date;
  /** A beat that failed (the store is down): the next beat tries again. @defaultValue ignore */
  onError?: (error: unknown) => void;
  /**
   * Beat from a thread of its own, with its own store connection: the beats
   * go on while a task blocks this thread's event loop (synchronous work),
   * so a busy worker is never taken for a lost one. Its beats stop only when
   * the process does. A worker sets it; `dags test` beats in-loop.
   * @defaultValue false
   */
  inThread?: boolean;
}

interface Watched {
  key: TaskInstanceKey;
  controller: AbortController;
}

/**
 * The heartbeat of the tries one process runs, and Airflow's "State of this
 * instance has been externally set": every beat is one UPDATE that touches
 * `updated_at` of the watched tries still `running` and returns them (the
 * scheduler's zombie check reads `updated_at`). A watched try missing from
 * the answer was changed from outside — marked success or failed, its run
 * marked or deleted — and its signal aborts with a {@link TryTerminatedError}
 * naming the new state (one more SELECT, only then). The task runner stops
 * the try and discards its outcome; a worker kills an isolated try's process.
 */
export class TryTerminator {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private thread: Worker | null = null;
  private beating: Promise<void> | null = null;
  private readonly intervalMs: number;
  /** Tries that ended since the thread was last told (see unwatch). */
  private readonly ended = new Set<string>();
  private endedTimer: NodeJS.Timeout | null = null;
  private readonly flushMs: number;

  constructor(
    private readonly store: Store,
    private readonly options: TryTerminatorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? tryHeartbeatMs();
    this.flushMs = Math.min(250, this.intervalMs / 2);
  }

  /** Starts watching a running try; the signal aborts when it is changed from outside. */
  watch(key: TaskInstanceKey): AbortSignal {
    const entry = { key: keyOf(key), controller: new AbortController() };
    const id = keyString(key);
    this.watched.set(id, entry);
    // At once: the task may block this event loop as soon as it starts, and then only the thread beats for it.
    this.ended.delete(id);
    this.thread?.postMessage({ watch: id } satisfies HeartbeatCommand);
    return entry.controller.signal;
  }

  /**
   * The try ended here (or was handed back): no longer ours to watch. The
   * thread hears of it a little later, with the others that ended meanwhile:
   * a message per finish cost a busy worker a twentieth of its CPU, and a
   * beat for a try that is no longer `running` changes nothing.
   */
  unwatch(key: TaskInstanceKey): void {
    const id = keyString(key);
    this.watched.delete(id);
    if (!this.thread) return;
    this.ended.add(id);
    this.endedTimer ??= setTimeout(() => this.flushEnded(), this.flushMs).unref();
  }

  private flushEnded(): void {
    this.endedTimer = null;
    if (this.ended.size > 0) this.thread?.postMessage({ unwatch: [...this.ended] } satisfies HeartbeatCommand);
    this.ended.clear();
  }

  /** Tries being watched. */
  get size(): number {
    return this.watched.size;
  }

  /** Beats until {@link stop}; the timer keeps the process alive (a `dags test` awaiting a task has no other handle). */
  start(): void {
    if (this.options.inThread && !this.thread && !this.timer) this.startThread();
    else this.beatInLoop();
  }

  private beatInLoop(): void {
    this.timer ??= setInterval(() => void this.beat(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.endedTimer) clearTimeout(this.endedTimer);
    this.endedTimer = null;
    this.ended.clear();
    this.thread?.postMessage({ stop: true } satisfies HeartbeatCommand);
    this.thread = null;
  }

  private startThread(): void {
    const data: HeartbeatThreadData = {
      location: this.store.location,
      intervalMs: this.intervalMs,
      clockOffsetMs: (this.options.now?.() ?? new Date()).getTime() - Date.now(),
    };
    const thread = new Worker(HEARTBEAT_THREAD, { workerData: data });
    this.thread = thread;
    for (const id of this.watched.keys()) thread.postMessage({ watch: id } satisfies HeartbeatCommand);
    thread.on('message', (report: HeartbeatReport) => {
      if ('error' in report) return this.options.onError?.(new Error(report.error));
      const beaten = new Set(report.beaten);
      void this.abortChanged(
        [...this.watched.values()].filter((e) => beaten.has(keyString(e.key))),
        new Set(report.running),
      ).catch((error: unknown) => this.options.onError?.(error));
    });
    // A thread that could not start (or died) leaves the beats to this event loop.
    thread.on('error', (error) => {
      this.options.onError?.(error);
      if (this.thread !== thread) return;
      this.thread = null;
      this.beatInLoop();
    });
    thread.unref();
  }

  /** One beat (a beat still in progress is not doubled). */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => (this.beating = null));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const entries = [...this.watched.values()];
    if (entries.length === 0) return;
    await this.abortChanged(
      entries,
      new Set(
        (
          await this.store.tasks.heartbeat(
            entries.map((e) => e.key),
            this.options.now?.() ?? new Date(),
          )
        ).map(keyString),
      ),
    );
  }

  /** `entries` were beaten for; those not found `running` were changed from outside: their signals abort. */
  private async abortChanged(entries: readonly Watched[], running: ReadonlySet<string>): Promise<void> {
    const changed = entries.filter((e) => !running.has(keyString(e.key)));
    if (changed.length === 0) return;
    const states = new Map((await this.store.tasks.statesOf(changed.map((e) => e.key))).map((row) => [keyString(row), row.state]));
    for (const entry of changed) {
      const id = keyString(entry.key);
      // A try that ended here meanwhile was unwatched: its own finish moved it.
      if (this.watched.get(id) !== entry || states.get(id) === TaskInstanceState.RUNNING) continue;
      this.watched.delete(id);
      entry.controller.abort(new TryTerminatedError(states.get(id) ?? null));
    }
  }
}
