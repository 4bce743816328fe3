// One HTML shell for every page: the path picks the page module.
const path = location.pathname;
const page = path === '/' ? 'dags' : path.startsWith('/models') ? 'models' : path.startsWith('/drift_reports') ? 'drift-report' : 'dag';
await import(`./${page}.js`);
