import { AlreadyExistsError, InvalidInputError, NotFoundError, UpdraftError } from '../models/errors.ts';

/** An error answered with its own HTTP status; its message is safe to show. */
export class HttpError extends UpdraftError {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A write without the API token (or with a wrong one). */
export class UnauthorizedError extends HttpError {
  constructor(message = 'this request needs the API token: send "Authorization: Bearer $UPDRAFT_API_TOKEN"') {
    super(401, message);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Airflow's API answers errors as RFC 7807 problem details; so do we. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export function problem(status: number, detail: string): Problem {
  return { type: `about:blank`, title: TITLES[status] ?? 'Error', status, detail };
}

/** The status an error maps to: user errors are 4xx with their message; anything else is a 500 with no details. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.statusCode;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof AlreadyExistsError) return 409;
  if (error instanceof InvalidInputError || error instanceof UpdraftError) return 400;
  const code = (error as { statusCode?: unknown }).statusCode;
  // fastify's own errors (schema validation, bad JSON, wrong content type) carry a 4xx status.
  if (typeof code === 'number' && code >= 400 && code < 500) return code;
  return 500;
}
