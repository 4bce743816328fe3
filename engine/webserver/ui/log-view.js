// A try's log, tailed: the last TAIL_CHARS characters first, new lines followed
// with the API's continuation token, earlier pages on demand. The page never
// asks for a whole log, however long it is.
import { api, h } from './common.js';

export const TAIL_CHARS = 64 * 1024;
/** Past this much text the view starts again from the tail rather than grow without end. */
const MAX_SHOWN_CHARS = 4 * TAIL_CHARS;

/** `logPath`: the API path of one try's log. `refresh()` reads what is new; the element stays the same. */
export function createLogView(logPath) {
  let text = '';
  let token = null;
  let earlier = null;
  const pre = h('pre', { class: 'log', 'data-testid': 'task-log' }, '(no log lines yet)');
  const earlierButton = h(
    'button',
    {
      type: 'button',
      'data-testid': 'log-earlier',
      onclick: () => loadEarlier().catch((error) => (earlierButton.textContent = `Load earlier lines (${error.message})`)),
    },
    'Load earlier lines',
  );
  const el = h('div', { class: 'log-view' }, earlierButton, pre);
  // A panel redraw moves the element, which loses its scroll position: it is put back.
  let scrolledTo = 0;
  let atBottom = true;
  pre.addEventListener('scroll', () => {
    scrolledTo = pre.scrollTop;
    atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  });

  function render(scroll) {
    pre.textContent = text || '(no log lines yet)';
    earlierButton.hidden = earlier === null;
    if (scroll === 'bottom') {
      atBottom = true;
      pre.scrollTop = pre.scrollHeight;
    }
  }

  async function tail() {
    const page = await api(`${logPath}?tail=${TAIL_CHARS}`);
    text = page.content;
    token = page.continuation_token;
    earlier = page.earlier_token;
    render('bottom');
  }

  async function refresh() {
    if (token === null) return tail();
    const page = await api(`${logPath}?token=${encodeURIComponent(token)}`);
    if (page.content === '') return;
    // A burst of output (or a long session) jumps to the newest lines; what it skipped stays one click away.
    if (page.content.length >= TAIL_CHARS || text.length + page.content.length > MAX_SHOWN_CHARS) return tail();
    text += page.content;
    token = page.continuation_token;
    render(atBottom ? 'bottom' : null);
  }

  async function loadEarlier() {
    if (earlier === null) return;
    const page = await api(`${logPath}?token=${encodeURIComponent(earlier)}&tail=${TAIL_CHARS}`);
    const height = pre.scrollHeight;
    text = page.content + text;
    earlier = page.earlier_token;
    render(null);
    // The lines the reader was looking at stay where they were.
    pre.scrollTop += pre.scrollHeight - height;
  }

  render(null);
  return { el, refresh, restoreScroll: () => (pre.scrollTop = atBottom ? pre.scrollHeight : scrolledTo) };
}
