import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { UpdraftPlugin } from '../plugins/interfaces.ts';

/** One plugin page as the browser sees it (`GET /api/v1/ui/plugins`, read by ui/main.js). */
export interface PluginPageEntry {
  path: string;
  /** The module's URL, `/static/plugins/<plugin name>/<module>`. */
  module: string;
  nav: string | null;
}

/**
 * Serves each plugin's UI folder at `/static/plugins/<name>/` and lists their
 * pages and stylesheets at `GET /api/v1/ui/plugins`, from which the single-page router and the
 * header's links take them. Resolves with the page paths to answer with the HTML shell.
 */
export async function pluginUi(app: FastifyInstance, plugins: readonly UpdraftPlugin[]): Promise<string[]> {
  const pages: PluginPageEntry[] = [];
  const styles: string[] = [];
  for (const plugin of plugins) {
    if (!plugin.ui) continue;
    const prefix = `/static/plugins/${plugin.name}/`;
    // The engine's own registration decorates the reply (sendFile); a second one must not.
    await app.register(fastifyStatic, { root: plugin.ui.folder, prefix, index: false, decorateReply: false });
    for (const page of plugin.ui.pages) pages.push({ path: page.path, module: `${prefix}${page.module}`, nav: page.nav ?? null });
    for (const style of plugin.ui.styles ?? []) styles.push(`${prefix}${style}`);
  }
  app.get('/api/v1/ui/plugins', { schema: { hide: true } }, async () => ({ pages, styles }));
  return pages.map((p) => p.path);
}
