// Shared by every page: API calls, Airflow's state colours, polling, small DOM helpers.

/** Airflow's palette, so a grid reads the same as an Airflow user expects. */
export const STATE_COLORS = {
  success: 'green',
  running: 'lime',
  failed: 'red',
  upstream_failed: 'orange',
  up_for_retry: 'gold',
  up_for_reschedule: 'turquoise',
  skipped: 'hotpink',
  queued: 'gray',
  scheduled: 'tan',
  removed: 'lightgrey',
  restarting: 'violet',
  deferred: 'mediumpurple',
  none: 'white',
};
export const colorOf = (state) => STATE_COLORS[state ?? 'none'] ?? 'white';

/** Airflow's legend order: the states an operator looks for first come first. */
export const LEGEND_STATES = [
  'success',
  'running',
  'failed',
  'upstream_failed',
  'up_for_retry',
  'queued',
  'scheduled',
  'skipped',
  'deferred',
  'up_for_reschedule',
  'restarting',
  'removed',
  'none',
];

/** How often pages ask whether something changed; an unchanged answer is an empty 304 and no redraw. */
export const POLL_MS = 1500;

const TOKEN_KEY = 'updraft.apiToken';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** Calls the REST API; writes send JSON (the only body the server accepts) and the token when one is stored. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['content-type'] = 'application/json';
  const token = localStorage.getItem(TOKEN_KEY);
  if (token && method !== 'GET') headers.authorization = `Bearer ${token}`;
  const response = await fetch(`/api/v1${path}`, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body ?? {}) });
  const payload = await response.json().catch(() => ({}));
  if (response.status === 401) {
    const entered = prompt('This server needs its API token (UPDRAFT_API_TOKEN) for changes:');
    if (entered) {
      localStorage.setItem(TOKEN_KEY, entered);
      return api(path, { method, body });
    }
  }
  if (!response.ok) throw new ApiError(response.status, payload.detail ?? response.statusText);
  return payload;
}

const etagged = new Map();

/**
 * A GET that sends the ETag of its last answer: `{ payload, changed }`, where
 * an unchanged answer (HTTP 304) costs no body and the caller can skip its redraw.
 * `cache: 'no-store'` keeps the browser's own cache from answering 304s for us.
 */
export async function apiCached(path) {
  const hit = etagged.get(path);
  const headers = { accept: 'application/json' };
  if (hit) headers['if-none-match'] = hit.etag;
  const response = await fetch(`/api/v1${path}`, { headers, cache: 'no-store' });
  if (response.status === 304 && hit) return { payload: hit.payload, changed: false };
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, payload.detail ?? response.statusText);
  const etag = response.headers.get('etag');
  if (etag) etagged.set(path, { etag, payload });
  return { payload, changed: true };
}

/** Runs `refresh` now and every POLL_MS; a failed refresh shows its error and keeps polling. */
export function poll(refresh, onError) {
  let timer = null;
  const tick = async () => {
    try {
      await refresh();
    } catch (error) {
      onError?.(error);
    }
    timer = setTimeout(tick, POLL_MS);
  };
  tick();
  return () => clearTimeout(timer);
}

/** Builds an element: h('td', { class: 'x', onclick }, child, 'text'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  return el;
}

export const stateSwatch = (state, title) =>
  h('span', { class: 'state', title: title ?? state ?? 'none', 'data-state': state ?? 'none', style: { background: colorOf(state) } });

export const statePill = (state) =>
  h(
    'span',
    {
      class: 'pill',
      'data-state': state ?? 'none',
      style: {
        background: colorOf(state),
        color: ['lime', 'gold', 'white', 'tan', 'lightgrey', 'turquoise'].includes(colorOf(state)) ? '#1f2328' : 'white',
      },
    },
    state ?? 'none',
  );

/** `1 h 02 m`, `3 m 05 s`, `4.2 s`: durations as an operator reads them. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))} s`;
  const m = Math.floor(seconds / 60),
    s = Math.round(seconds % 60);
  if (m < 60) return `${m} m ${String(s).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

/** One swatch per state: what each colour of the grid and graph means. */
export const legend = () =>
  h(
    'div',
    { class: 'legend', 'data-testid': 'legend' },
    LEGEND_STATES.map((s) => h('span', { 'data-testid': `legend-${s}` }, stateSwatch(s), ` ${s}`)),
  );

export const formatDate = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '');

/** The plugins' header links, `{ href, label }` (set by main.js from `GET /api/v1/ui/plugins`). */
let pluginNav = [];
export const setPluginNav = (links) => {
  pluginNav = links;
};

export function header() {
  return h(
    'header',
    {},
    h('a', { class: 'brand', href: '/' }, 'Updraft'),
    h('a', { href: '/' }, 'DAGs'),
    pluginNav.map(({ href, label }) => h('a', { href }, label)),
    h('a', { href: '/health' }, 'Health'),
    h('a', { href: '/metrics' }, 'Metrics'),
  );
}

/** Replaces the children of `el`, skipping null / undefined / false (keeps the element, so focus and scroll survive a refresh). */
export const fill = (el, ...children) => el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
