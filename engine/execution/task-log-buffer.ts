import { formatBytes, TASK_LOG_MAX_BYTES_VARIABLE } from '../config/task-log-limits.ts';
import type { TaskLogger } from '../models/task-context.ts';
import type { Store } from '../store/store.ts';
import { LOG_ROW_CHARS } from '../store/task-log-pages.ts';
import type { TaskInstanceKey } from '../store/task-instance-repository.ts';

type Level = 'INFO' | 'WARNING' | 'ERROR';

/** One line of a try's log, as every writer formats it. */
export const formatLogLine = (taskId: string, level: Level, message: string, at: Date = new Date()): string =>
  `[${at.toISOString()}] {${taskId}} ${level} - ${message}`;

/**
 * A chunk row holds at most this many characters, so a reader pages through a
 * log one bounded row at a time, and a task that prints fast never piles a
 * second of output up in memory.
 */
export const LOG_CHUNK_CHARS = LOG_ROW_CHARS;

/**
 * Collects a try's log lines and writes them to the store in chunks (every
 * `flushMs` while the task runs, whenever a chunk is full, and at the end),
 * so `tasks logs` can follow a long task without a write per line.
 *
 * What the task itself writes ({@link forTask}) is capped at `maxBytes`: the
 * first line over the cap is cut there, one marker line says so, and the rest
 * is dropped and counted ({@link noteDropped}) while the task keeps running.
 * The runner's own lines (start, outcome, error) are always written.
 */
export class TaskLogBuffer implements TaskLogger {
  private pending: string[] = [];
  private pendingChars = 0;
  private chunk = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private taskBytes = 0;
  private droppedBytes = 0;
  private droppedLines = 0;

  /** The logger the task gets as `ctx.log`: its lines count against the cap. */
  readonly forTask: TaskLogger = {
    info: (message) => this.writeCapped('INFO', message),
    warn: (message) => this.writeCapped('WARNING', message),
    error: (message) => this.writeCapped('ERROR', message),
  };

  constructor(
    private readonly store: Store | null,
    private readonly key: TaskInstanceKey,
    private readonly echo: ((line: string) => void) | null = null,
    private readonly flushMs = 1000,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  info(message: string): void {
    this.write('INFO', message);
  }
  warn(message: string): void {
    this.write('WARNING', message);
  }
  error(message: string): void {
    this.write('ERROR', message);
  }

  /** Once, after the task ended: how much of its output the cap dropped. */
  noteDropped(): void {
    if (this.droppedLines === 0) return;
    this.write(
      'WARNING',
      `*** ${this.droppedLines} more line(s), ${formatBytes(this.droppedBytes)}, of task output were dropped by the log cap`,
    );
    this.droppedLines = 0;
  }

  private writeCapped(level: Level, message: string): void {
    if (this.taskBytes >= this.maxBytes) {
      this.droppedLines++;
      this.droppedBytes += Buffer.byteLength(message) + 1;
      return;
    }
    const line = formatLogLine(this.key.taskId, level, message);
    const bytes = Buffer.byteLength(line) + 1;
    this.taskBytes += bytes;
    if (this.taskBytes <= this.maxBytes) {
      this.emit(line);
      return;
    }
    // The line that crosses the cap is kept up to it, so one endless line still shows its start.
    const room = this.maxBytes - (this.taskBytes - bytes);
    this.emit(Buffer.from(line).subarray(0, room).toString());
    this.droppedLines++;
    this.droppedBytes += bytes - room;
    this.write(
      'WARNING',
      `*** log cap of ${formatBytes(this.maxBytes)} per try reached (${TASK_LOG_MAX_BYTES_VARIABLE}): further task output is dropped; the task keeps running`,
    );
  }

  private write(level: Level, message: string): void {
    this.emit(formatLogLine(this.key.taskId, level, message));
  }

  private emit(line: string): void {
    this.echo?.(line);
    if (!this.store) return;
    // PostgreSQL text cannot hold NUL, and a log is text: a task printing binary gets its NULs replaced.
    const text = `${line.includes('\0') ? line.replaceAll('\0', '\uFFFD') : line}\n`;
    for (let at = 0; at < text.length; at += LOG_CHUNK_CHARS) {
      const piece = at === 0 && text.length <= LOG_CHUNK_CHARS ? text : text.slice(at, at + LOG_CHUNK_CHARS);
      if (this.pendingChars + piece.length > LOG_CHUNK_CHARS) void this.flush();
      this.pending.push(piece);
      this.pendingChars += piece.length;
    }
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /**
   * Hands the unwritten lines to the caller, who writes them in its own
   * transaction (the try's outcome and its last log lines commit together).
   */
  take(): { chunk: number; content: string } | null {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.store || this.pending.length === 0) return null;
    const content = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    return { chunk: this.chunk++, content };
  }

  flush(): Promise<void> {
    const taken = this.take();
    if (taken && this.store) {
      const store = this.store;
      this.writing = this.writing.then(() => store.logs.append(this.key, taken.chunk, taken.content, new Date()));
    }
    return this.writing;
  }
}
