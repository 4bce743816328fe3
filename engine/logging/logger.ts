import pino, { type Logger } from 'pino';

export type { Logger };

/** Buffered bytes before a write(2); a busy worker logs two lines per task. */
const BUFFER_BYTES = 4096;
/** A quiet process still shows its lines within this long. */
const FLUSH_EVERY_MS = 250;

/**
 * Structured process logs on stderr (stdout is for command output): one JSON
 * object per line, or pretty lines on a TTY. Child loggers carry
 * dag_id / run_id / task_id / try_number. JSON lines are buffered (a system
 * call per line cost a busy worker a tenth of its CPU), flushed every 250 ms
 * and when the process exits.
 */
export function createLogger(component: string): Logger {
  const level = process.env.UPDRAFT_LOG_LEVEL ?? 'info';
  const pretty = process.stderr.isTTY && process.env.UPDRAFT_LOG_FORMAT !== 'json';
  if (pretty) {
    return pino({ level, base: { component, pid: process.pid } }, pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } }));
  }
  const destination = pino.destination({ fd: 2, sync: false, minLength: BUFFER_BYTES });
  setInterval(() => destination.flush(), FLUSH_EVERY_MS).unref();
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // a write still in flight: the lines it carries are already on their way
    }
  });
  return pino({ level, base: { component, pid: process.pid } }, destination);
}
