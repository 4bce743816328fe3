// The DAG list: id, schedule, owner, tags, paused toggle, last run, next run, recent runs; import errors on top.
import { api, apiCached, fill, formatDate, h, header, poll, stateSwatch, statePill } from './common.js';
import { codeBlock } from './code.js';

const app = document.getElementById('app');
const banner = h('div');
const status = h('p', { class: 'error', role: 'alert' });
const body = h('tbody');
app.append(
  header(),
  h(
    'main',
    {},
    h('h1', {}, 'DAGs'),
    banner,
    status,
    h(
      'table',
      { 'data-testid': 'dag-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Active', 'DAG', 'Owner', 'Schedule', 'Tags', 'Last run', 'Next run', 'Recent runs'].map((c) => h('th', {}, c)),
        ),
      ),
      body,
    ),
  ),
);

async function togglePause(dag, input) {
  input.disabled = true;
  try {
    await api(`/dags/${encodeURIComponent(dag.dag_id)}`, { method: 'PATCH', body: { is_paused: !input.checked } });
    status.textContent = '';
  } catch (error) {
    status.textContent = `could not change ${dag.dag_id}: ${error.message}`;
  }
  await refresh();
}

function row(dag) {
  const toggle = h('input', {
    type: 'checkbox',
    class: 'switch',
    checked: !dag.is_paused,
    title: dag.is_paused ? 'paused: click to unpause' : 'active: click to pause',
    'data-testid': `pause-toggle-${dag.dag_id}`,
  });
  toggle.addEventListener('change', () => togglePause(dag, toggle));
  return h(
    'tr',
    { 'data-dag-id': dag.dag_id },
    h('td', {}, toggle),
    h('td', {}, h('a', { href: `/dags/${encodeURIComponent(dag.dag_id)}` }, dag.dag_id), h('div', { class: 'muted' }, dag.description)),
    h('td', {}, dag.owners.join(', ')),
    h('td', {}, h('code', {}, dag.schedule ?? 'None')),
    h(
      'td',
      {},
      dag.tags.map((t) => h('span', { class: 'tag' }, t)),
    ),
    h(
      'td',
      { 'data-testid': `last-run-${dag.dag_id}` },
      dag.last_run_state ? statePill(dag.last_run_state) : h('span', { class: 'muted' }, 'no runs'),
    ),
    h(
      'td',
      { title: dag.next_dagrun_create_after ? `created after ${formatDate(dag.next_dagrun_create_after)}` : '' },
      formatDate(dag.next_dagrun),
    ),
    h(
      'td',
      {},
      h(
        'span',
        { class: 'strip' },
        [...dag.recent_runs].reverse().map((r) => stateSwatch(r.state, `${r.run_id}: ${r.state}`)),
      ),
    ),
  );
}

/** An import error, with a button that opens the file at the failing line. */
function importError(e) {
  const source = h('div', { class: 'code-box', hidden: true });
  const toggle = h('button', { class: 'small', 'data-testid': `show-source-${e.filename.split('/').at(-1)}` }, 'Show file');
  toggle.addEventListener('click', async () => {
    if (!source.hidden) {
      source.hidden = true;
      toggle.textContent = 'Show file';
      return;
    }
    try {
      const file = await api(`/importErrors/source?filename=${encodeURIComponent(e.filename)}`);
      fill(
        source,
        file.line ? h('p', { class: 'muted' }, `line ${file.line}`) : null,
        file.content === null ? h('p', { class: 'error' }, 'the file cannot be read on this host') : codeBlock(file.content, file.line),
      );
    } catch (error) {
      fill(source, h('p', { class: 'error' }, error.message));
    }
    source.hidden = false;
    toggle.textContent = 'Hide file';
  });
  return h('li', {}, `${e.filename}: ${e.stack_trace} `, toggle, source);
}

async function refresh() {
  const [dags, errors] = await Promise.all([apiCached('/dags'), apiCached('/importErrors')]);
  if (dags.changed) fill(body, dags.payload.dags.map(row));
  // Redrawn only when the errors change, so an opened file stays open while the page polls.
  if (!errors.changed) return;
  const list = errors.payload.import_errors;
  fill(
    banner,
    list.length === 0
      ? []
      : h(
          'div',
          { class: 'banner', 'data-testid': 'import-errors' },
          h('strong', {}, `${list.length} DAG file(s) failed to import`),
          h('ul', {}, list.map(importError)),
        ),
  );
}

poll(refresh, (error) => (status.textContent = `refresh failed: ${error.message}`));
