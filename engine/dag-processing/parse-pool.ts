import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DagSpec } from '../models/dag-spec.ts';

const PARSE_THREAD = new URL('./parse-thread.mjs', import.meta.url);

/** What parsing one file gives: its DAGs, or the one-line import error. */
export type FileParse = DagSpec[] | string;

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
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' | ').trim();

interface ParseThread {
  worker: Worker;
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

  constructor(options: DagParsePoolOptions = {}) {
    this.maxImports = options.maxImportsPerThread ?? 200;
    this.maxAgeMs = options.maxThreadAgeMs ?? 300_000;
  }

  /** Imports `file` in a pooled thread; an import error, a hang or an exit becomes its one-line message. */
  parse(file: string, fingerprint: string, timeoutMs: number): Promise<FileParse> {
    const thread = this.take();
    const url = `${pathToFileURL(file).href}?v=${fingerprint}&parse=${++this.sequence}`;
    return new Promise<FileParse>((done) => {
      const finish = (result: FileParse, reusable: boolean): void => {
        clearTimeout(timer);
        thread.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        this.busy.delete(thread);
        if (reusable) this.giveBack(thread);
        else void thread.worker.terminate();
        done(result);
      };
      const onMessage = (m: { ok: true; dags: DagSpec[] } | { ok: false; message: string }): void => {
        thread.imports++;
        finish(m.ok ? m.dags : oneLine(m.message), true);
      };
      const onError = (error: Error): void => finish(oneLine(error.message), false);
      const onExit = (code: number): void => finish(`file exited the process with code ${code} at import`, false);
      const timer = setTimeout(() => finish(`import timed out after ${timeoutMs / 1000}s (does the file run a loop or wait at import?)`, false), timeoutMs);
      this.busy.add(thread);
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
    const worker = new Worker(PARSE_THREAD, { stdout: true, stderr: true });
    // An idle thread must not keep the process alive.
    worker.unref();
    const thread: ParseThread = { worker, startedAt: Date.now(), imports: 0, generation: this.generation };
    // A DAG file's timer may throw or exit after its import, while the thread sits idle:
    // that ends the thread (never the process) and it leaves the pool.
    const leave = (): void => void (this.idle = this.idle.filter((t) => t !== thread));
    worker.on('error', leave).on('exit', leave);
    return thread;
  }

  private giveBack(thread: ParseThread): void {
    if (thread.imports >= this.maxImports || thread.generation !== this.generation || Date.now() - thread.startedAt > this.maxAgeMs) void thread.worker.terminate();
    else this.idle.push(thread);
  }
}
