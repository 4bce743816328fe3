// The health page: what an operator checks first when runs stall — the scheduler's heartbeat, the workers seen
// in the last minute and what they run, Redis, the store, and how many jobs wait in each queue.
import { apiCached, fill, formatDate, formatDuration, h, header, poll } from './common.js';

const app = document.getElementById('app');
const status = h('p', { class: 'error', role: 'alert' });
const cards = h('div', { class: 'cards', 'data-testid': 'health-cards' });
const workers = h('div', { 'data-testid': 'health-workers' });
const queues = h('div', { 'data-testid': 'health-queues' });
document.title = 'Health · Updraft';
app.append(
  header(),
  h(
    'main',
    {},
    h('h1', {}, 'Health'),
    status,
    cards,
    h('h2', {}, 'Workers seen in the last minute'),
    workers,
    h('h2', {}, 'Queue depths'),
    queues,
    h(
      'p',
      { class: 'muted' },
      'Machine-readable: ',
      h('a', { href: '/api/v1/health' }, '/api/v1/health'),
      ' · ',
      h('a', { href: '/metrics' }, '/metrics'),
    ),
  ),
);

const card = (name, healthy, ...lines) =>
  h(
    'div',
    { class: `card ${healthy ? 'healthy' : 'unhealthy'}`, 'data-testid': `health-${name.toLowerCase()}` },
    h('h3', {}, name),
    h('div', { class: 'verdict' }, healthy ? 'healthy' : 'unhealthy'),
    lines.map((l) => h('div', { class: 'muted' }, l)),
  );

const ago = (seconds) => `${formatDuration(seconds) || '0 s'} ago`;

function table(head, rows, testid) {
  return h(
    'table',
    { 'data-testid': testid },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

async function refresh() {
  const { payload: health, changed } = await apiCached('/health/details');
  status.textContent = '';
  if (!changed) return;
  const s = health.scheduler;
  fill(
    cards,
    card(
      'Scheduler',
      s?.status === 'healthy',
      s ? `last heartbeat ${ago(s.heartbeat_age_s)} (healthy within ${s.healthy_within_s} s)` : 'no scheduler has ever beaten',
      s ? `on ${s.hostname} since ${formatDate(s.started_at)} · last loop ${s.last_loop_ms} ms` : 'start one with: updraft scheduler',
    ),
    card('Metadatabase', health.metadatabase.status === 'healthy', `${health.metadatabase.dialect}`),
    card(
      'Redis',
      health.redis.status === 'healthy',
      health.redis.status === 'healthy' ? 'answers PING' : 'does not answer: queued work waits until it is back',
    ),
    card(
      'Workers',
      health.workers.length > 0,
      `${health.workers.length} seen in the last minute`,
      `${health.workers.reduce((n, w) => n + w.running.length, 0)} tries running`,
    ),
  );
  fill(
    workers,
    health.workers.length === 0
      ? h('p', { class: 'muted' }, 'No worker has beaten in the last minute: start one with `updraft worker`.')
      : table(
          ['Worker', 'Host', 'Heartbeat', 'Queues of running tries', 'Running tries'],
          health.workers.map((w) =>
            h(
              'tr',
              { 'data-worker': w.worker_id },
              h('td', {}, h('code', {}, w.worker_id)),
              h('td', {}, w.hostname),
              h('td', {}, ago(w.heartbeat_age_s)),
              h('td', {}, w.queues.join(', ') || '—'),
              h(
                'td',
                {},
                w.running.length === 0
                  ? h('span', { class: 'muted' }, 'idle')
                  : h(
                      'ul',
                      { class: 'plain' },
                      w.running.map((r) =>
                        h(
                          'li',
                          {},
                          h(
                            'a',
                            {
                              href: `/dags/${encodeURIComponent(r.dag_id)}?run=${encodeURIComponent(r.run_id)}&task=${encodeURIComponent(r.task_id)}&try=${r.try_number}`,
                            },
                            `${r.dag_id} · ${r.task_id} · try ${r.try_number}`,
                          ),
                        ),
                      ),
                    ),
              ),
            ),
          ),
          'workers-table',
        ),
  );
  const depthRows = Object.entries(health.queue_depths);
  fill(
    queues,
    depthRows.length === 0
      ? h('p', { class: 'muted' }, health.redis.status === 'healthy' ? 'No queue yet.' : 'Unknown while Redis is down.')
      : table(
          ['Queue', 'Waiting', 'Active', 'Delayed (retries)', 'Prioritized'],
          depthRows.map(([q, c]) =>
            h(
              'tr',
              { 'data-queue': q },
              h('td', {}, q),
              h('td', {}, String(c.waiting ?? 0)),
              h('td', {}, String(c.active ?? 0)),
              h('td', {}, String(c.delayed ?? 0)),
              h('td', {}, String(c.prioritized ?? 0)),
            ),
          ),
          'queues-table',
        ),
  );
}

poll(refresh, (error) => (status.textContent = `refresh failed: ${error.message}`));
