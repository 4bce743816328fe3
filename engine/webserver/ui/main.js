// One HTML shell for every page: the path picks the page module. Plugins' pages (and their
// header links) come from the server, which serves their modules under /static/plugins/.
import { setPluginNav } from './common.js';

const path = location.pathname;
const { pages } = await fetch('/api/v1/ui/plugins').then((r) => (r.ok ? r.json() : { pages: [] }), () => ({ pages: [] }));
setPluginNav(pages.filter((p) => p.nav).map((p) => ({ href: p.path, label: p.nav })));
const plugin = pages.find((p) => path === p.path || path.startsWith(`${p.path}/`));
await import(plugin ? plugin.module
  : path === '/' ? './dags.js'
    : path === '/health' ? './health.js'
      : /^\/dags\/[^/]+\/?$/.test(path) ? './dag.js' : './not-found.js');
