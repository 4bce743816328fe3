import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured process logs on stderr (stdout is for command output): one JSON
 * object per line, or pretty lines on a TTY. Child loggers carry
 * dag_id / run_id / task_id / try_number.
 */
export function createLogger(component: string): Logger {
  const level = process.env.UPDRAFT_LOG_LEVEL ?? 'info';
  const pretty = process.stderr.isTTY && process.env.UPDRAFT_LOG_FORMAT !== 'json';
  const destination = pretty
    ? pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } })
    : pino.destination({ fd: 2, sync: false });
  return pino({ level, base: { component, pid: process.pid } }, destination);
}
