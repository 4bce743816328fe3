// One HTML shell for every page: the path picks the page module. Plugins' pages, header links
// and stylesheets come from the server, which serves them under /static/plugins/<name>/.
import { setPluginNav } from './common.js';

const path = location.pathname;
const { pages, styles } = await fetch('/api/v1/ui/plugins').then(
  (r) => (r.ok ? r.json() : { pages: [], styles: [] }),
  () => ({ pages: [], styles: [] }),
);
setPluginNav(pages.filter((p) => p.nav).map((p) => ({ href: p.path, label: p.nav })));
// Styles first: a page measures its layout as soon as it renders.
await Promise.all(
  styles.map(
    (href) =>
      new Promise((done) => {
        document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href, onload: done, onerror: done }));
      }),
  ),
);
const plugin = pages.find((p) => path === p.path || path.startsWith(`${p.path}/`));
await import(
  plugin
    ? plugin.module
    : path === '/'
      ? './dags.js'
      : path === '/health'
        ? './health.js'
        : /^\/dags\/[^/]+\/?$/.test(path)
          ? './dag.js'
          : './not-found.js'
);
