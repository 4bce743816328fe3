import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DagSpec } from '../models/dag-spec.ts';
import { InvalidInputError } from '../models/errors.ts';

const PARSE_THREAD = new URL('./parse-thread.mjs', import.meta.url);

/** What parsing one file gives: its DAGs, or the one-line import error. */
export type FileParse = DagSpec[] | string;

/** A {@link FileParse} with how long the import took and whether it ran to its end (see {@link DagParsePool.parseTimed}). */
export interface TimedFileParse {
  result: FileParse;
  durationMs: number;
  settled: boolean;
}

/** Options of a {@link DagParsePool}. */
export interface DagParsePoolOptions {
  /**
   * Imports one thread serves before it is replaced: a module imported in a
   * thread stays in its memory, so a long-lived thread is retired now and then.
   * @defaultValue 200
   */
  maxImportsPerThread?: number;
  /**
   * Age after which a thread is replaced, so a change to a module that DAG
   * files import from outside the DAG folder (a thread caches it) is seen.
   * @defaultValue 300000 (5 minutes)
   */
  maxThreadAgeMs?: number;
  /**
   * Heap of each parse thread (V8's old generation): a file whose import
   * allocates past it is an import error, and only its thread ends.
   * @defaultValue `$UPDRAFT_DAG_PARSE_HEAP_MB`, else 1024
   */
  heapLimitMb?: number;
  /**
   * Wait before a file that exhausted the heap is imported again while it is
   * unchanged; it doubles with each such import, up to an hour. A changed file
   * is imported at once. @defaultValue 60000 (1 minute)
   */
  heapRetryMs?: number;
  /** Milliseconds now (the back-off's clock). @defaultValue `Date.now` */
  now?: () => number;
}

/** The heap limit named by `$UPDRAFT_DAG_PARSE_HEAP_MB`, else 1024 MB. */
export function parseHeapLimitMb(): number {
  const raw = process.env.UPDRAFT_DAG_PARSE_HEAP_MB;
  if (raw === undefined || raw.trim() === '') return 1024;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 16)
    throw new InvalidInputError(`UPDRAFT_DAG_PARSE_HEAP_MB must be a whole number of megabytes, at least 16; got '${raw}'`);
  return mb;
}

/** The longest wait before an unchanged file that exhausted the heap is imported again. */
const MAX_HEAP_RETRY_MS = 3_600_000;

/** A file whose import exhausted the heap: not imported again before `retryAt` unless its fingerprint changes. */
interface HeapExhausted {
  fingerprint: string;
  failures: number;
  retryAt: number;
  message: string;
}

/** What a thread that died of its heap limit reports; {@link DagParsePool.parse} words it and starts the back-off. */
const HEAP_EXHAUSTED = Symbol('heap exhausted');

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' | ').trim();

interface ParseThread {
  worker: Worker;
  /** Settles when the thread has loaded the loader and the engine (false: it died first). */
  ready: Promise<boolean>;
  startedAt: number;
  imports: number;
  /** The pool's generation when it started: a thread busy during {@link DagParsePool.retire} is ended when it comes back. */
  generation: number;
}

/**
 * Threads that import DAG files, kept between parses of the folder: a thread
 * is a fresh V8 isolate that loads the TypeScript loader and Updraft before
 * the first file, which costs more than importing most DAG files (about half
 * a second of CPU each), and the scheduler re-parses every file every 30 s.
 * Each parse imports the file under a new URL, so it is evaluated afresh (a
 * dynamic DAG sees its inputs again). A thread that hangs (past the timeout),
 * exits or throws is terminated and never reused; {@link retire} drops every
 * idle thread, so modules they cached (helpers a DAG file imports) load anew.
 */
export class DagParsePool {
  private idle: ParseThread[] = [];
  private readonly busy = new Set<ParseThread>();
  private sequence = 0;
  private generation = 0;
  private readonly maxImports: number;
  private readonly maxAgeMs: number;
  private readonly heapLimitMb: number;
  private readonly heapRetryMs: number;
  private readonly now: () => number;
  /** Files whose import exhausted the heap, by path: importing them every pass would cost the limit every pass. */
  private readonly exhausted = new Map<string, HeapExhausted>();

  constructor(options: DagParsePoolOptions = {}) {
    this.maxImports = options.maxImportsPerThread ?? 200;
    this.maxAgeMs = options.maxThreadAgeMs ?? 300_000;
    this.heapLimitMb = options.heapLimitMb ?? parseHeapLimitMb();
    this.heapRetryMs = options.heapRetryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Imports `file` in a pooled thread; an import error, a hang or an exit becomes its one-line message.
   * A file that exhausted the heap and has not changed since answers that error again without an import, until its back-off ends.
   */
  async parse(file: string, fingerprint: string, timeoutMs: number): Promise<FileParse> {
    return (await this.parseTimed(file, fingerprint, timeoutMs)).result;
  }

  /**
   * {@link parse}, with the wall time of the import itself (`dags report`): a
   * thread's start (loader and engine) counts neither there nor against the
   * timeout. `settled`: the import ran to its end (its DAGs or its throw), so
   * the same file gives the same answer; false after a timeout, an exit or
   * the heap limit, which may not happen again.
   */
  parseTimed(file: string, fingerprint: string, timeoutMs: number): Promise<TimedFileParse> {
    const held = this.exhausted.get(file);
    if (held && held.fingerprint === fingerprint && this.now() < held.retryAt)
      return Promise.resolve({ result: held.message, durationMs: 0, settled: false });
    return this.importIn(this.take(), file, fingerprint, timeoutMs).then(({ result, durationMs, settled }) => {
      if (result !== HEAP_EXHAUSTED) {
        this.exhausted.delete(file);
        return { result, durationMs, settled };
      }
      const failures = held?.fingerprint === fingerprint ? held.failures + 1 : 1;
      const waitMs = Math.min(this.heapRetryMs * 2 ** (failures - 1), MAX_HEAP_RETRY_MS);
      const message = `import exceeded the parse heap limit of ${this.heapLimitMb} MB (UPDRAFT_DAG_PARSE_HEAP_MB); imported again when the file changes, else in ${Math.ceil(waitMs / 1000)} s`;
      this.exhausted.set(file, { fingerprint, failures, retryAt: this.now() + waitMs, message });
      return { result: message, durationMs, settled: false };
    });
  }

  private async importIn(
    thread: ParseThread,
    file: string,
    fingerprint: string,
    timeoutMs: number,
  ): Promise<{ result: FileParse | typeof HEAP_EXHAUSTED; durationMs: number; settled: boolean }> {
    const url = `${pathToFileURL(file).href}?v=${fingerprint}&parse=${++this.sequence}`;
    this.busy.add(thread);
    if (!(await thread.ready)) {
      this.busy.delete(thread);
      return { result: 'the parse thread ended before it could import the file', durationMs: 0, settled: false };
    }
    return new Promise((done) => {
      const posted = performance.now();
      const finish = (result: FileParse | typeof HEAP_EXHAUSTED, reusable: boolean, importMs?: number): void => {
        clearTimeout(timer);
        thread.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        this.busy.delete(thread);
        if (reusable) this.giveBack(thread);
        else void thread.worker.terminate();
        done({ result, durationMs: importMs ?? performance.now() - posted, settled: importMs !== undefined });
      };
      const onMessage = (m: ({ ok: true; dags: DagSpec[] } | { ok: false; message: string }) & { durationMs: number }): void => {
        thread.imports++;
        finish(m.ok ? m.dags : oneLine(m.message), true, m.durationMs);
      };
      const onError = (error: Error): void =>
        finish((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? HEAP_EXHAUSTED : oneLine(error.message), false);
      const onExit = (code: number): void => finish(`file exited the process with code ${code} at import`, false);
      const timer = setTimeout(
        () => finish(`import timed out after ${timeoutMs / 1000}s (does the file run a loop or wait at import?)`, false),
        timeoutMs,
      );
      thread.worker.on('message', onMessage).once('error', onError).once('exit', onExit);
      thread.worker.postMessage({ file, url });
    });
  }

  /** Drops the idle threads: the next parse imports everything, helpers included, in new ones. */
  retire(): void {
    this.generation++;
    for (const thread of this.idle.splice(0)) void thread.worker.terminate();
  }

  /** Ends every thread; a parse still running ends as an import error, which the caller (stopping) discards. */
  async close(): Promise<void> {
    this.generation++;
    await Promise.all([...this.idle.splice(0), ...this.busy].map((thread) => thread.worker.terminate()));
  }

  private take(): ParseThread {
    const reused = this.idle.pop();
    if (reused) return reused;
    const worker = new Worker(PARSE_THREAD, { stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: this.heapLimitMb } });
    // An idle thread must not keep the process alive.
    worker.unref();
    const ready = new Promise<boolean>((settle) => {
      const onReady = (m: { ready?: true }): void => {
        if (!m.ready) return;
        worker.off('message', onReady);
        settle(true);
      };
      worker
        .on('message', onReady)
        .once('error', () => settle(false))
        .once('exit', () => settle(false));
    });
    const thread: ParseThread = { worker, ready, startedAt: Date.now(), imports: 0, generation: this.generation };
    // A DAG file's timer may throw or exit after its import, while the thread sits idle:
    // that ends the thread (never the process) and it leaves the pool.
    const leave = (): void => {
      this.idle = this.idle.filter((t) => t !== thread);
    };
    worker.on('error', leave).on('exit', leave);
    return thread;
  }

  private giveBack(thread: ParseThread): void {
    if (thread.imports >= this.maxImports || thread.generation !== this.generation || Date.now() - thread.startedAt > this.maxAgeMs)
      void thread.worker.terminate();
    else this.idle.push(thread);
  }
}
