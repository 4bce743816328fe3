import type pg from 'pg';
import { connectionState, isConnectionError } from '../logging/connection-state.ts';
import { oneLineReason, redact, registerUrlPassword } from '../logging/redact.ts';
import { UpdraftError } from '../models/errors.ts';

/**
 * PostgreSQL cannot be used: nothing answers, it refused the password, or the
 * database or role does not exist. One line, no secret; `code` is the
 * driver's (SQLSTATE or errno), so a connection error is still known as one.
 */
export class PostgresConnectionError extends UpdraftError {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Where a connection URL points and as whom, for messages (never its password). */
function target(url: string): { address: string; user: string; database: string } {
  try {
    const parsed = new URL(url);
    const user = decodeURIComponent(parsed.username) || process.env.PGUSER || 'postgres';
    return {
      address: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`,
      user,
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user,
    };
  } catch {
    return { address: redact(url), user: '?', database: '?' };
  }
}

/** The one line a failed connection attempt means to a user, or null when it is not about connecting. */
export function describeConnectFailure(url: string, error: unknown): PostgresConnectionError | null {
  const code = (error as { code?: string } | null)?.code;
  const { address, user, database } = target(url);
  const at = `PostgreSQL at ${address}`;
  switch (code) {
    case '28P01':
      return new PostgresConnectionError(`${at} refused user ${user}'s password: check the password in UPDRAFT_DATABASE_URL`, code);
    case '3D000':
      return new PostgresConnectionError(
        `database ${database} does not exist on ${at}: create it (createdb ${database}) or name another in UPDRAFT_DATABASE_URL`,
        code,
      );
    case '28000':
      return new PostgresConnectionError(
        /role .* does not exist/i.test((error as Error).message)
          ? `role ${user} does not exist on ${at}: create it or name another user in UPDRAFT_DATABASE_URL`
          : `${at} refused user ${user} (${oneLineReason(error)})`,
        code,
      );
    default:
      return isConnectionError(error)
        ? new PostgresConnectionError(`no PostgreSQL answers at ${address} (${oneLineReason(error)})`, code)
        : null;
  }
}

/**
 * Wraps the pool's `connect` (every query passes it): a failure to connect
 * becomes a one-line {@link PostgresConnectionError}, and the process's
 * record of PostgreSQL's state hears of each success and failure (one record
 * when it goes away, one when it is back). Queries retry on the next call:
 * the process's loops run on their timers, which space the attempts.
 */
export function watchedConnect(pool: pg.Pool, url: string, connect: () => Promise<pg.PoolClient>): () => Promise<pg.PoolClient> {
  registerUrlPassword(url);
  const state = connectionState('postgres', target(url).address);
  // An idle connection the server (or the network) dropped: the pool discards it and opens a new
  // one on the next query. Without a listener the 'error' event would crash the process.
  pool.on('error', (error) => state.lost(pool, error));
  let failures = 0;
  return async () => {
    try {
      const client = await connect();
      failures = 0;
      state.up(pool);
      return client;
    } catch (error) {
      state.lost(pool, error);
      if (++failures === 2) state.retrying(pool, "a new connection on each query, as the process's loops come round");
      throw describeConnectFailure(url, error) ?? error;
    }
  };
}
