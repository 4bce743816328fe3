import pino, { type Logger, type LoggerOptions } from 'pino';
import { anyConnectionDown, isConnectionError, setDefaultConnectionSink } from './connection-state.ts';
import { redact } from './redact.ts';

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
  const options = loggerOptions(component);
  const pretty = process.stderr.isTTY && process.env.UPDRAFT_LOG_FORMAT !== 'json';
  if (pretty) {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } }));
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
  return pino(options, destination);
}

setDefaultConnectionSink(() => createLogger('connection'));

const WARN = 40;

/**
 * Every line passes the one redaction (engine/logging/redact.ts) as written.
 * A connection error carries no stack (its message says all), and while
 * Redis or PostgreSQL is known to be down the errors it causes everywhere are
 * kept to debug level: the connection's state records (lost, retrying, back)
 * report the outage once, not every caller on every attempt.
 */
function loggerOptions(component: string): LoggerOptions {
  return {
    level: process.env.UPDRAFT_LOG_LEVEL ?? 'info',
    base: { component, pid: process.pid },
    serializers: {
      err: (error: unknown) => {
        const serialized = pino.stdSerializers.err(error as Error);
        if (!isConnectionError(error)) return serialized;
        const { stack: _stack, ...rest } = serialized;
        return rest;
      },
    },
    hooks: {
      streamWrite: redact,
      logMethod(args, method, level) {
        const fields = args[0] as unknown;
        const outage =
          level >= WARN &&
          typeof fields === 'object' &&
          fields !== null &&
          isConnectionError((fields as { err?: unknown }).err) &&
          anyConnectionDown();
        if (outage) this.debug.apply(this, args);
        else method.apply(this, args);
      },
    },
  };
}
