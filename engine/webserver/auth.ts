import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../models/errors.ts';
import { HttpError, UnauthorizedError } from './errors.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || host.startsWith('127.');

/** Refuses to serve beyond this machine without a token (a one-line error at start-up). */
export function assertSafeBinding(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new InvalidInputError(`refusing to listen on ${host} without an API token: set UPDRAFT_API_TOKEN (every write must then carry it), or bind 127.0.0.1`);
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
