import { Redis } from 'ioredis';
import { connectionState, isConnectionError, logConnectionUserError } from '../logging/connection-state.ts';
import type { Logger } from '../logging/logger.ts';
import { oneLineReason, redact, registerUrlPassword } from '../logging/redact.ts';
import type { QueueConnectionOptions } from './interfaces.ts';

export const redisUrl = (o: QueueConnectionOptions = {}): string => o.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const redisPrefix = (o: QueueConnectionOptions = {}): string => o.prefix ?? process.env.UPDRAFT_REDIS_PREFIX ?? 'updraft';

/** `host:port` of a Redis URL, for messages (never its password). */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || '127.0.0.1'}:${parsed.port || '6379'}`;
  } catch {
    return redact(url);
  }
}

/** Reconnects spaced by a doubling back-off, at most 2 s apart, so a Redis that is back is found within 2 s (BullMQ's duplicates copy it). */
const RECONNECT_CAP_MS = 2000;
const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** (attempt - 1), RECONNECT_CAP_MS) + Math.floor(Math.random() * 100);
/** {@link reconnectDelay}, as the `retrying` record states it. */
const RECONNECT_BACKOFF = 'reconnecting after 50 ms, doubling per attempt up to 2 s';

/** A connection BullMQ can block on: `maxRetriesPerRequest: null` is required for Workers. Its outages are logged as state changes. */
export function createRedis(o: QueueConnectionOptions = {}): Redis {
  const url = redisUrl(o);
  registerUrlPassword(url);
  const client = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: reconnectDelay });
  watchRedis(client, redisAddress(url));
  return client;
}

/**
 * Feeds the client's events to the process's one record of Redis's state:
 * a drop, the reconnect attempts and their failures are one `lost` and one
 * `retrying` record, the reconnection one `back` record.
 */
function watchRedis(client: Redis, address: string): void {
  const state = connectionState('redis', address);
  let lastError: unknown = null;
  client.on('error', (error: unknown) => {
    lastError = error;
    state.lost(client, error);
  });
  client.on('reconnecting', (delayMs: number) => {
    state.lost(client, lastError ?? new Error('the server closed the connection'));
    state.retrying(client, RECONNECT_BACKOFF, delayMs);
  });
  client.on('ready', () => {
    lastError = null;
    state.up(client);
  });
  client.on('end', () => state.forget(client));
}

/**
 * An 'error' listener for BullMQ's Queue, Worker and QueueEvents (without one
 * a Queue prints the error's stack to stderr; `log` null: a Queue's user
 * has no logger, the state records' logger is used). A connection error is the
 * state records' to report (see {@link createRedis}): it is kept to debug
 * level, one line; anything else is logged as `message`.
 */
export function logQueueErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  log: Logger | null,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  emitter.on('error', (error: Error) => {
    if (isConnectionError(error)) log?.debug({ ...fields, reason: oneLineReason(error) }, `${message} (connection)`);
    else if (log) log.error({ ...fields, err: error }, message);
    else logConnectionUserError(error, message, fields);
  });
}

export type RedisProbe = { ok: true } | { ok: false; refusedPassword: boolean; message: string };

/** Whether a Redis server answers PING at the URL within `timeoutMs`, and if not, why, in one line without a secret. */
export async function probeRedis(o: QueueConnectionOptions = {}, timeoutMs = 1000): Promise<RedisProbe> {
  const url = redisUrl(o);
  registerUrlPassword(url);
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  // connect() rejects with a bare "Connection is closed."; the cause (refused, WRONGPASS...) comes as an 'error' event.
  let cause: unknown = null;
  client.on('error', (error: unknown) => (cause ??= error));
  try {
    await client.connect();
    if ((await client.ping()) === 'PONG') return { ok: true };
    return { ok: false, refusedPassword: false, message: `Redis at ${redisAddress(url)} did not answer PING` };
  } catch (error) {
    return describeFailure(url, cause ?? error);
  } finally {
    client.disconnect();
  }
}

/** True when a Redis server answers PING at the URL within `timeoutMs`. */
export async function redisAnswers(o: QueueConnectionOptions = {}, timeoutMs = 1000): Promise<boolean> {
  return (await probeRedis(o, timeoutMs)).ok;
}

function describeFailure(url: string, error: unknown): RedisProbe {
  const text = error instanceof Error ? error.message : String(error);
  const address = redisAddress(url);
  if (/^WRONGPASS|invalid password|invalid username-password/i.test(text)) {
    return { ok: false, refusedPassword: true, message: `Redis at ${address} refused the password: put the right one in REDIS_URL` };
  }
  if (/^NOAUTH/i.test(text)) {
    return {
      ok: false,
      refusedPassword: true,
      message: `Redis at ${address} requires a password and none was given: put it in REDIS_URL (redis://:<password>@${address})`,
    };
  }
  return { ok: false, refusedPassword: false, message: `no Redis answers at ${redact(url)} (${oneLineReason(error)})` };
}
