import type { TaskLogger } from '../models/task-context.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstanceKey } from '../store/task-instance-repository.ts';

/** One line of a try's log, as every writer formats it. */
export const formatLogLine = (taskId: string, level: 'INFO' | 'WARNING' | 'ERROR', message: string, at: Date = new Date()): string =>
  `[${at.toISOString()}] {${taskId}} ${level} - ${message}`;

/**
 * Collects a try's log lines and writes them to the store in chunks (every
 * `flushMs` while the task runs, and at the end), so `tasks logs` can follow
 * a long task without a write per line.
 */
export class TaskLogBuffer implements TaskLogger {
  private pending: string[] = [];
  private chunk = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store | null,
    private readonly key: TaskInstanceKey,
    private readonly echo: ((line: string) => void) | null = null,
    private readonly flushMs = 1000,
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

  private write(level: 'INFO' | 'WARNING' | 'ERROR', message: string): void {
    const line = formatLogLine(this.key.taskId, level, message);
    this.echo?.(line);
    if (!this.store) return;
    this.pending.push(`${line}\n`);
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
