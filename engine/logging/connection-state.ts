import { isMainThread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { oneLineReason } from './redact.ts';

/**
 * Whether a process can reach Redis or PostgreSQL, logged as one structured
 * record per change — `connection lost` (with a one-line, redacted reason),
 * `retrying` (with its back-off), `connection back` — instead of a record per
 * failed reconnect or per failing query. A connection that never came up
 * logs nothing here: that failure is the command's own one-line error.
 */

export type Service = 'redis' | 'postgres';

/** Network errors and the drivers' "connection is closed" errors: the state records' to report, not every caller's. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  // PostgreSQL: the server shut down or is starting; connection failures (SQLSTATE class 08).
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const CONNECTION_MESSAGE =
  /Connection is closed|Connection terminated|ECONNREFUSED|Stream isn't writeable|connect ETIMEDOUT|MaxRetriesPerRequest|timeout exceeded when trying to connect|Client has encountered a connection error/i;

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (code !== undefined && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGE.test(error.message) || error.name === 'ConnectionClosedError'
  );
}

let sink: Logger | null = null;
let defaultSink: Logger | null = null;
/** Set by engine/logging/logger.ts as it loads (it imports this module, not the other way round). */
let makeDefaultSink: (() => Logger) | null = null;

/** How to make the `connection` logger of a process that gave none (see {@link logConnectionStatesTo}). */
export function setDefaultConnectionSink(make: () => Logger): void {
  makeDefaultSink = make;
}

/** The long-running commands send the records to their own logger; anything else gets a `connection` logger on first need. */
export function logConnectionStatesTo(log: Logger): void {
  sink = log;
}

function record(level: 'error' | 'warn' | 'info', fields: Record<string, unknown>, message: string): void {
  // A thread's own pool (a worker's heartbeat thread) sees the outage its process already reports.
  if (!isMainThread) return;
  if (!sink && !defaultSink && makeDefaultSink) defaultSink = makeDefaultSink();
  (sink ?? defaultSink)?.[level](fields, message);
}

/** An error of a connection's user (a BullMQ Queue) that has no logger of its own, logged as the state records are. */
export function logConnectionUserError(error: unknown, message: string, fields: Record<string, unknown> = {}): void {
  record('error', { ...fields, err: error }, message);
}

/**
 * One service at one address, seen through any number of connections (a
 * worker's shared Redis connection and BullMQ's blocking ones; a PostgreSQL
 * pool). It is lost when one of them fails while all were up, and back when
 * every one that failed works again.
 */
export class ConnectionState {
  private readonly everUp = new Set<object>();
  private readonly failing = new Set<object>();
  private downSince = 0;
  private retryingLogged = false;

  constructor(
    readonly service: Service,
    readonly address: string,
  ) {}

  get isDown(): boolean {
    return this.failing.size > 0;
  }

  /** A connection works (again). */
  up(connection: object): void {
    this.everUp.add(connection);
    if (!this.failing.delete(connection) || this.failing.size > 0) return;
    record(
      'info',
      { event: 'connection_back', service: this.service, address: this.address, down_ms: Date.now() - this.downSince },
      `${label(this.service)} at ${this.address}: connection back`,
    );
  }

  /** A connection failed; `error` says why. Ignored for a connection that never came up. */
  lost(connection: object, error: unknown): void {
    if (!this.everUp.has(connection) || this.failing.has(connection)) return;
    this.failing.add(connection);
    if (this.failing.size > 1) return;
    this.downSince = Date.now();
    this.retryingLogged = false;
    const reason = oneLineReason(error);
    record(
      'warn',
      { event: 'connection_lost', service: this.service, address: this.address, reason },
      `${label(this.service)} at ${this.address}: connection lost (${reason})`,
    );
  }

  /** A failed connection will be tried again; logged once per outage with the back-off that spaces the attempts. */
  retrying(connection: object, backoff: string, delayMs?: number): void {
    if (!this.failing.has(connection) || this.retryingLogged) return;
    this.retryingLogged = true;
    record(
      'info',
      {
        event: 'connection_retrying',
        service: this.service,
        address: this.address,
        backoff,
        ...(delayMs === undefined ? {} : { delay_ms: delayMs }),
      },
      `${label(this.service)} at ${this.address}: retrying (${backoff})`,
    );
  }

  /** A connection closed on purpose: it is no longer watched. */
  forget(connection: object): void {
    this.everUp.delete(connection);
    if (this.failing.delete(connection) && this.failing.size === 0) this.retryingLogged = false;
  }
}

const label = (service: Service): string => (service === 'redis' ? 'Redis' : 'PostgreSQL');

const states = new Map<string, ConnectionState>();

/** The one state of a service at an address in this process (several clients share it). */
export function connectionState(service: Service, address: string): ConnectionState {
  const key = `${service} ${address}`;
  let state = states.get(key);
  if (!state) {
    state = new ConnectionState(service, address);
    states.set(key, state);
  }
  return state;
}

/** True while some watched connection of this process is down. */
export function anyConnectionDown(): boolean {
  for (const state of states.values()) if (state.isDown) return true;
  return false;
}
