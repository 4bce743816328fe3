import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { assertServicesAllowed } from './tier.ts';

/** A server to create throw-away databases on: `UPDRAFT_TEST_POSTGRES_URL`, else the local one (trust auth). */
export const ADMIN_URL = process.env.UPDRAFT_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a random name; `drop()` removes it (closing whatever still holds it). */
export async function throwawayDatabase(prefix = 'updraft_test'): Promise<ThrowawayDatabase> {
  assertServicesAllowed('PostgreSQL');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
