import { createHmac, timingSafeEqual } from 'node:crypto';
import { keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { LogPosition } from '../store/task-log-pages.ts';
import { HttpError } from './errors.ts';

/** A `token` that is not one this deployment gave out for this try's log. */
export class InvalidLogTokenError extends HttpError {
  constructor(taskId: string, tryNumber: number) {
    super(
      400,
      `token: not a continuation token of the log of task '${taskId}' try ${tryNumber} (pass back the continuation_token a log read returned)`,
    );
  }
}

/**
 * Airflow's continuation token, opaque to clients: a place in one try's log,
 * signed with the deployment id, so every webserver of a deployment accepts
 * the tokens of the others, and an edited token, or one of another try's log,
 * is refused instead of read from a made-up place.
 */
export function encodeLogToken(secret: string, key: TaskInstanceKey, at: LogPosition): string {
  const payload = Buffer.from(JSON.stringify({ c: at.chunk, o: at.offset })).toString('base64url');
  return `${payload}.${sign(secret, key, payload)}`;
}

export function decodeLogToken(secret: string, key: TaskInstanceKey, token: string): LogPosition {
  const invalid = new InvalidLogTokenError(key.taskId, key.tryNumber);
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) throw invalid;
  const expected = Buffer.from(sign(secret, key, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const { c, o } = (parsed ?? {}) as { c?: unknown; o?: unknown };
  if (!Number.isSafeInteger(c) || !Number.isSafeInteger(o) || (c as number) < 0 || (o as number) < 0) throw invalid;
  return { chunk: c as number, offset: o as number };
}

const sign = (secret: string, key: TaskInstanceKey, payload: string): string =>
  createHmac('sha256', secret)
    .update(`${keyString(key)}\n${payload}`)
    .digest('base64url')
    .slice(0, 22);
