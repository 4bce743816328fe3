import { TryTerminatedError } from '../models/errors.ts';
import { keyOf, keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { Store } from '../store/store.ts';

/** How often a worker beats for its running tries (and so notices a try changed from outside), unless configured. */
export const DEFAULT_TRY_HEARTBEAT_MS = 5_000;

/** `$UPDRAFT_WORKER_HEARTBEAT_SECONDS` in ms, else `fallback`; at least 100 ms. */
export function tryHeartbeatMs(fallback: number = DEFAULT_TRY_HEARTBEAT_MS): number {
  const seconds = Number(process.env.UPDRAFT_WORKER_HEARTBEAT_SECONDS);
  return Math.max(100, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallback);
}

export interface TryTerminatorOptions {
  /** Time between beats. @defaultValue {@link tryHeartbeatMs} */
  intervalMs?: number;
  /** "Now" for `updated_at`. @defaultValue the system clock */
  now?: () => Date;
  /** A beat that failed (the store is down): the next beat tries again. @defaultValue ignore */
  onError?: (error: unknown) => void;
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
  private beating: Promise<void> | null = null;
  private readonly intervalMs: number;

  constructor(private readonly store: Store, private readonly options: TryTerminatorOptions = {}) {
    this.intervalMs = options.intervalMs ?? tryHeartbeatMs();
  }

  /** Starts watching a running try; the signal aborts when it is changed from outside. */
  watch(key: TaskInstanceKey): AbortSignal {
    const entry = { key: keyOf(key), controller: new AbortController() };
    this.watched.set(keyString(key), entry);
    return entry.controller.signal;
  }

  /** The try ended here (or was handed back): no longer ours to watch. */
  unwatch(key: TaskInstanceKey): void {
    this.watched.delete(keyString(key));
  }

  /** Tries being watched. */
  get size(): number {
    return this.watched.size;
  }

  /** Beats until {@link stop}; the timer keeps the process alive (a `dags test` awaiting a task has no other handle). */
  start(): void {
    this.timer ??= setInterval(() => void this.beat(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One beat (a beat still in progress is not doubled). */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce().catch((error: unknown) => this.options.onError?.(error)).finally(() => (this.beating = null));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const entries = [...this.watched.values()];
    if (entries.length === 0) return;
    const running = new Set((await this.store.tasks.heartbeat(entries.map((e) => e.key), this.options.now?.() ?? new Date())).map(keyString));
    const changed = entries.filter((e) => !running.has(keyString(e.key)));
    if (changed.length === 0) return;
    const states = new Map((await this.store.tasks.statesOf(changed.map((e) => e.key))).map((row) => [keyString(row), row.state]));
    for (const entry of changed) {
      const id = keyString(entry.key);
      // A try that ended here meanwhile was unwatched: its own finish moved it.
      if (this.watched.get(id) !== entry) continue;
      this.watched.delete(id);
      entry.controller.abort(new TryTerminatedError(states.get(id) ?? null));
    }
  }
}
