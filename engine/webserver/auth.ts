import { timingSafeEqual } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../models/errors.ts';
import { HttpError, UnauthorizedError } from './errors.ts';

/** The shortest API token accepted: a guessable token guards nothing. */
export const MIN_API_TOKEN_LENGTH = 16;

/** A loopback address: 127.0.0.0/8, ::1, or either written as IPv4-mapped IPv6. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, '');
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(address);
}

/**
 * Whether `host` means this machine only, decided by what it resolves to (a
 * name such as `127.0.0.1.example.com` may resolve anywhere): every address
 * must be loopback. A name that does not resolve is a one-line error.
 */
export async function isLoopback(host: string): Promise<boolean> {
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    throw new InvalidInputError(
      `--host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give an address or a name this machine resolves`,
    );
  }
  return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
}

/** Refuses a short API token (one line at start-up, naming the setting). */
export function assertApiToken(token: string | undefined): void {
  if (token !== undefined && token.length < MIN_API_TOKEN_LENGTH) {
    throw new InvalidInputError(
      `UPDRAFT_API_TOKEN is ${token.length} character(s) long: it must be at least ${MIN_API_TOKEN_LENGTH} (e.g. openssl rand -hex 24)`,
    );
  }
}

/** Refuses a short token, and serving beyond this machine without a token (one-line errors at start-up). */
export async function assertSafeBinding(host: string, token: string | undefined): Promise<void> {
  assertApiToken(token);
  if (!(await isLoopback(host)) && !token) {
    throw new InvalidInputError(
      `refusing to listen on ${host} without an API token: set UPDRAFT_API_TOKEN (every write must then carry it), or bind 127.0.0.1`,
    );
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function tokenMatches(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Every write must be `Content-Type: application/json` (a cross-site form or
 * `fetch` without a CORS pre-flight cannot send that; a DELETE may carry no
 * body at all) and, when a token is configured, carry it as a bearer token.
 */
export function guardWrites(app: FastifyInstance, token: string | undefined): void {
  app.addHook('onRequest', async (request) => {
    if (!WRITE_METHODS.has(request.method)) return;
    if (token && !tokenMatches(request, token)) throw new UnauthorizedError();
    // A DELETE takes no body; no cross-site form can send one, and a cross-site fetch needs a CORS pre-flight.
    if (request.method === 'DELETE' && request.headers['content-type'] === undefined) return;
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(415, 'writes take a JSON body: send Content-Type: application/json');
  });
}
