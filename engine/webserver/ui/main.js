// One HTML shell for every page: the path picks the page module.
const path = location.pathname;
const page = path === '/' ? 'dags' : path.startsWith('/models') ? 'models' : 'dag';
await import(`./${page}.js`);
