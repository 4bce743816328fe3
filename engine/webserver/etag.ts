import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/**
 * ETags on every successful JSON read of the API: a page that polls sends
 * `If-None-Match` and gets an empty 304 while nothing changed, so it neither
 * downloads nor redraws a 1,000-task grid every few seconds. The tag is a hash
 * of the body, so any webserver of a deployment gives the same tag for the same data.
 */
export function addEtags(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' || reply.statusCode !== 200 || !request.url.startsWith('/api/v1/') || typeof payload !== 'string')
      return payload;
    const tag = `"${createHash('sha1').update(payload).digest('base64url')}"`;
    reply.header('etag', tag);
    // Revalidate on every use: the data changes while a run goes on.
    reply.header('cache-control', 'no-cache');
    if (!matches(request.headers['if-none-match'], tag)) return payload;
    reply.code(304);
    reply.removeHeader('content-type');
    reply.removeHeader('content-length');
    return '';
  });
}

/** `If-None-Match` may list several tags, or `*`; weak tags compare by their opaque part. */
function matches(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === tag;
  });
}
