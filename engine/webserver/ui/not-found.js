// The 404 page: an unknown path, or a DAG the store does not know (the server answers it with HTTP 404).
import { h, header } from './common.js';

/** Fills the page with "not found": what was asked for, and the way back. No actions: there is nothing to act on. */
export function showNotFound(what) {
  document.title = 'Not found · Updraft';
  document
    .getElementById('app')
    .replaceChildren(
      header(),
      h(
        'main',
        { class: 'not-found', 'data-testid': 'not-found' },
        h('h1', {}, '404 · Not found'),
        h('p', {}, what),
        h('p', {}, h('a', { href: '/' }, 'Back to the DAG list')),
      ),
    );
}

if (!/^\/dags\/[^/]+\/?$/.test(location.pathname)) showNotFound(`There is no page at ${location.pathname}.`);
