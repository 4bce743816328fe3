import { InvalidInputError } from '../models/errors.ts';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createLogger } from '../logging/logger.ts';
import { loadPlugins } from '../plugins/load-plugins.ts';
import { pluginRouteDeps } from '../plugins/plugin-context.ts';
import { clockFromEnv } from '../utils/clock.ts';
import { assertSafeBinding, guardWrites } from './auth.ts';
import { problem, statusOf } from './errors.ts';
import { addEtags } from './etag.ts';
import type { WebserverOptions } from './interfaces.ts';
import { defaultDagsFolder } from '../config/updraft-home.ts';
import { UpdraftMetrics } from './metrics.ts';
import { dagRunRoutes } from './routes/dag-runs.ts';
import { dagSourceRoutes } from './routes/dag-source.ts';
import { dagRoutes } from './routes/dags.ts';
import { ganttRoutes } from './routes/gantt.ts';
import { gridRoutes } from './routes/grid.ts';
import { healthDetailsRoutes } from './routes/health-details.ts';
import { monitoringRoutes } from './routes/monitoring.ts';
import { taskInstanceRoutes } from './routes/task-instances.ts';
import { xcomEntryRoutes } from './routes/xcom-entries.ts';
import { pluginUi } from './plugin-ui.ts';

const UI_FOLDER = join(import.meta.dirname, 'ui');
/** The graph view's layout library, served from node_modules as it is installed (no copy to go stale). */
const DAGRE_ESM = createRequire(import.meta.url)
  .resolve('@dagrejs/dagre')
  .replace(/dagre\.[a-z]+$/, 'dagre.esm.js');
/** Every page is the one HTML shell; the path picks the page module (ui/main.js). Plugins add theirs. */
const PAGES = ['/', '/health'];

/**
 * `updraft webserver`: the REST API (`/api/v1`, shaped after Airflow's stable
 * API), `/metrics`, and the pages (`/`, `/dags/:dag_id`, the plugins' `/models`...). It reads
 * and writes the same store as the CLI, through the same operations.
 */
/** The largest request body accepted (a run conf is further limited to 64 KiB, see run-conf.ts). */
const BODY_LIMIT_BYTES = 1024 * 1024;

export async function createWebserver(options: WebserverOptions): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1';
  const token = options.apiToken ?? (process.env.UPDRAFT_API_TOKEN || undefined);
  await assertSafeBinding(host, token);
  const log = options.log ?? createLogger('webserver');
  const clock = options.clock ?? clockFromEnv();
  const metrics = new UpdraftMetrics(options.store, options);

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Unknown fields are an error the caller should hear about, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
  });
  // JSON is the only body a write takes (see guardWrites).
  app.removeContentTypeParser('text/plain');
  guardWrites(app, token);
  app.setErrorHandler((error, request, reply) => {
    const status = statusOf(error);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    // A 500 says nothing about its cause: no stack traces or internals leave the server.
    const detail =
      status >= 500
        ? 'internal error (see the webserver log)'
        : status === 413
          ? `request body over the limit of ${BODY_LIMIT_BYTES} bytes (1 MiB)`
          : (error as Error).message;
    return reply.status(status).type('application/problem+json').send(problem(status, detail));
  });
  app.setNotFoundHandler((request, reply) => {
    // A person who follows a dead link gets the UI's 404 page; a program gets a problem document.
    if (request.method === 'GET' && !request.url.startsWith('/api/') && request.headers.accept?.includes('text/html'))
      return reply.status(404).sendFile('index.html');
    return reply
      .status(404)
      .type('application/problem+json')
      .send(problem(404, `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  addEtags(app);

  // The route schemas double as the API's OpenAPI description (GET /api/v1/openapi.json).
  await app.register(fastifySwagger, {
    openapi: { info: { title: 'Updraft REST API', version: '1', description: "Shaped after Airflow's stable REST API; see the README." } },
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  dagRoutes(app, options.store, clock);
  dagRunRoutes(app, options.store, clock);
  gridRoutes(app, options.store);
  ganttRoutes(app, options.store);
  dagSourceRoutes(app, options.store, options.dagsFolder ?? defaultDagsFolder());
  healthDetailsRoutes(app, options.store, metrics, options);
  taskInstanceRoutes(app, options.store, clock);
  xcomEntryRoutes(app, options.store);
  monitoringRoutes(app, options.store, metrics, options);
  const plugins = options.plugins ?? (await loadPlugins()).plugins;
  const forPlugins = pluginRouteDeps(options.store);
  app.addHook('onClose', () => forPlugins.close());
  for (const plugin of plugins) await plugin.registerRoutes?.(app, forPlugins.deps);

  await app.register(fastifyStatic, { root: UI_FOLDER, prefix: '/static/', index: false });
  const pluginPages = await pluginUi(app, plugins);
  for (const page of [...PAGES, ...pluginPages])
    app.get(page, { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  // An unknown DAG is a real 404 (the page then shows "not found" and no Trigger button).
  app.get<{ Params: { dag_id: string } }>('/dags/:dag_id', { schema: { hide: true } }, async (request, reply) => {
    const dag = await options.store.dags.get(request.params.dag_id);
    return reply.status(dag?.isActive ? 200 : 404).sendFile('index.html');
  });
  app.get('/favicon.ico', { schema: { hide: true } }, (_request, reply) => reply.type('image/svg+xml').sendFile('favicon.svg'));
  app.get('/vendor/dagre.esm.js', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(createReadStream(DAGRE_ESM)),
  );

  app.addHook('onClose', async () => metrics.close());
  return app;
}

/** Builds the server and listens; resolves with the address it serves. */
export async function startWebserver(options: WebserverOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = await createWebserver(options);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port ?? 8080 });
  } catch (error) {
    await app.close();
    if ((error as { code?: string }).code === 'EADDRINUSE')
      throw new InvalidInputError(`port ${options.port ?? 8080} is in use on ${host} (another webserver?): choose another with --port`);
    if ((error as { code?: string }).code === 'EACCES')
      throw new InvalidInputError(
        `port ${options.port ?? 8080} on ${host} needs privileges this process does not have: choose a port above 1023 with --port`,
      );
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { app, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}
