// The Code tab: the DAG file's source with the fingerprint and time of the scheduler's last parse;
// also the source of a file that failed to import, its failing line marked.
import { apiCached, fill, formatDate, h } from './common.js';
import { dagPath } from './dag-state.js';

/** Source lines, numbered; `markLine` (1-based) is highlighted and scrolled to. */
export function codeBlock(content, markLine = null) {
  const lines = content.split('\n');
  const list = h(
    'ol',
    { class: 'code', 'data-testid': 'code' },
    lines.map((line, i) => h('li', i + 1 === markLine ? { class: 'marked', 'data-testid': 'code-marked-line' } : {}, line || ' ')),
  );
  if (markLine) requestAnimationFrame(() => list.querySelector('.marked')?.scrollIntoView({ block: 'center' }));
  return list;
}

export function createCode() {
  const meta = h('dl', { class: 'kv', 'data-testid': 'code-meta' });
  const warning = h('p', { class: 'banner', hidden: true, 'data-testid': 'code-changed' });
  const body = h('div', { class: 'code-box' });
  const root = h('div', { class: 'code-view' }, meta, warning, body);

  async function render() {
    const { payload: source, changed } = await apiCached(`${dagPath}/source`);
    if (!changed && body.childElementCount > 0) return;
    fill(
      meta,
      [
        ['file', source.fileloc],
        ['fingerprint', h('code', { 'data-testid': 'code-fingerprint' }, source.fingerprint)],
        ['parsed at', formatDate(source.last_parsed_at)],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    warning.hidden = !source.changed_since_parse;
    warning.textContent =
      'The file on disk has changed since the scheduler parsed it: this is the new text; the DAG runs as parsed until the next parse.';
    fill(
      body,
      source.content === null
        ? h('p', { class: 'error' }, `The file ${source.fileloc} cannot be read on this host.`)
        : codeBlock(source.content),
    );
  }

  return { root, render };
}
