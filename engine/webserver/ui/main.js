// One HTML shell for every page: the path picks the page module.
const path = location.pathname;
const page = path === '/' ? 'dags'
  : path === '/models' ? 'models'
    : path === '/health' ? 'health'
      : path.startsWith('/drift_reports') ? 'drift-report'
      : /^\/dags\/[^/]+\/?$/.test(path) ? 'dag' : 'not-found';
await import(`./${page}.js`);
