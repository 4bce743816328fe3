// The grid view: a duration bar per run above its column, one row per task (folded into task groups), a legend,
// "runs shown" and paging into older runs. Only the rows in view are in the DOM, so 1,000 tasks scroll smoothly.
import { colorOf, fill, formatDate, formatDuration, h, legend } from './common.js';
import { dagPath, RUNS_SHOWN, state, update } from './dag-state.js';
import { allGroups, buildRows, summaryState } from './grid-rows.js';

const ROW_H = 22;
const CELL_W = 18;
const LABEL_W = 280;
const BAR_H = 64;
/** Rows drawn beyond each edge of the viewport, so a fast scroll shows no blank. */
const OVERSCAN = 8;

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function createGrid() {
  let rows = [];
  let rowsKey = '';
  let frame = 0;
  const runsSelect = h(
    'select',
    { 'data-testid': 'runs-shown', onchange: (e) => update({ runsShown: Number(e.target.value), offset: 0 }) },
    RUNS_SHOWN.map((n) => h('option', { value: n }, `${n} runs`)),
  );
  const older = h('button', { 'data-testid': 'runs-older', onclick: () => update({ offset: state.offset + state.runsShown }) }, '‹ Older');
  const newer = h(
    'button',
    { 'data-testid': 'runs-newer', onclick: () => update({ offset: Math.max(0, state.offset - state.runsShown) }) },
    'Newer ›',
  );
  const range = h('span', { class: 'muted', 'data-testid': 'runs-range' });
  const foldAll = h(
    'button',
    { 'data-testid': 'collapse-all', onclick: () => update({ collapsed: new Set(allGroups(state.grid.task_ids)) }) },
    'Collapse groups',
  );
  const unfoldAll = h('button', { 'data-testid': 'expand-all', onclick: () => update({ collapsed: new Set() }) }, 'Expand groups');
  const head = h('div', { class: 'grid-head' });
  const body = h('div', { class: 'grid-body' });
  const scroller = h('div', { class: 'grid-scroll', 'data-testid': 'grid' }, head, body);
  const empty = h('p', { class: 'muted', 'data-testid': 'grid-empty' });
  const root = h(
    'div',
    { class: 'grid-view' },
    h('div', { class: 'toolbar' }, h('label', {}, 'Show ', runsSelect), older, newer, range, foldAll, unfoldAll),
    legend(),
    empty,
    scroller,
  );

  scroller.addEventListener(
    'scroll',
    () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(drawRows);
    },
    { passive: true },
  );
  scroller.addEventListener('click', (event) => {
    const target = event.target.closest('[data-cell], [data-run-bar], [data-group]');
    if (!target) return;
    if (target.dataset.group) {
      const collapsed = new Set(state.collapsed);
      if (collapsed.has(target.dataset.group)) collapsed.delete(target.dataset.group);
      else collapsed.add(target.dataset.group);
      update({ collapsed });
    } else if (target.dataset.runBar) update({ runId: target.dataset.runBar, taskId: null, tryNumber: null });
    else update({ runId: target.dataset.run, taskId: target.dataset.task, tryNumber: null });
  });

  function drawHead(runs, width) {
    const now = Date.now();
    const seconds = (r) => r.duration_s ?? (r.start_date ? (now - Date.parse(r.start_date)) / 1000 : 0);
    // Scaled to the longest finished run: a run still going (or stuck) fills its bar and does not flatten the rest.
    const longest = Math.max(1, ...runs.filter((r) => r.duration_s !== null).map(seconds));
    fill(
      head,
      h(
        'div',
        { class: 'grid-corner', style: { width: `${LABEL_W}px`, height: `${BAR_H + 6}px` } },
        h('span', { class: 'muted' }, `longest ${formatDuration(longest)}`),
        h('span', { class: 'muted' }, 'Task'),
      ),
      runs.map((r) => {
        const title = `${r.run_id}\nlogical date ${formatDate(r.logical_date)}\nstate ${r.state}\nduration ${r.duration_s === null ? `running ${formatDuration(seconds(r))}` : formatDuration(r.duration_s)}`;
        const selected = state.runId === r.run_id;
        return h(
          'div',
          {
            class: `grid-bar${selected ? ' selected' : ''}`,
            style: { width: `${CELL_W}px`, height: `${BAR_H}px` },
            title,
            'data-run-bar': r.run_id,
            'data-testid': `run-${r.run_id}`,
            'data-state': r.state,
          },
          h('div', {
            class: 'bar',
            'data-testid': 'run-bar',
            style: { height: `${Math.max(3, Math.min(1, seconds(r) / longest) * BAR_H)}px`, background: colorOf(r.state) },
          }),
        );
      }),
    );
    head.style.width = `${width}px`;
  }

  /** The rows in view (plus overscan), as HTML strings: 40 rows × 365 runs stays a single cheap assignment. */
  function drawRows() {
    const grid = state.grid;
    if (!grid) return;
    const runs = grid.dag_runs;
    const top = Math.max(0, scroller.scrollTop - head.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + scroller.clientHeight) / ROW_H) + OVERSCAN);
    const html = [];
    for (let i = first; i < last; i++) html.push(rowHtml(rows[i], i, runs, grid));
    body.innerHTML = html.join('');
    body.dataset.first = String(first);
    body.dataset.last = String(last);
  }

  function rowHtml(row, i, runs, grid) {
    const style = `top:${i * ROW_H}px`;
    if (row.kind === 'group') {
      const cells = runs
        .map((r) => {
          const s = summaryState(row.members.map((m) => grid.task_instances[r.run_id]?.[m]?.[0]));
          return `<span class="cell group-cell" style="background:${colorOf(s)}" data-state="${s}" title="${escapeHtml(`${row.group} in ${r.run_id}: ${s}`)}"></span>`;
        })
        .join('');
      return (
        `<div class="grid-row group-row" style="${style}" data-testid="group-${escapeHtml(row.group)}" aria-expanded="${!row.collapsed}">` +
        `<div class="grid-label" data-group="${escapeHtml(row.group)}" style="width:${LABEL_W}px">${row.collapsed ? '▸' : '▾'} ${escapeHtml(row.group)} <span class="muted">(${row.members.length})</span></div>${cells}</div>`
      );
    }
    const cells = runs
      .map((r) => {
        const cell = grid.task_instances[r.run_id]?.[row.index];
        const s = cell?.[0] ?? 'none';
        const tries = cell?.[1] ?? 0;
        const selected = state.runId === r.run_id && state.taskId === row.taskId ? ' selected' : '';
        const title = `${row.taskId} in ${r.run_id}: ${s}${tries > 1 ? ` (try ${tries})` : ''}`;
        return `<span class="cell${selected}" style="background:${colorOf(s)}" data-cell="1" data-run="${escapeHtml(r.run_id)}" data-task="${escapeHtml(row.taskId)}" data-state="${s}" data-try="${tries}" data-testid="cell-${escapeHtml(r.run_id)}-${escapeHtml(row.taskId)}" title="${escapeHtml(title)}"></span>`;
      })
      .join('');
    const name = row.depth ? row.taskId.slice(row.taskId.lastIndexOf('.') + 1) : row.taskId;
    const selected = state.taskId === row.taskId ? ' selected' : '';
    return `<div class="grid-row${selected}" style="${style}" data-task-row="${escapeHtml(row.taskId)}"><div class="grid-label depth-${row.depth}" style="width:${LABEL_W}px" title="${escapeHtml(row.taskId)}">${escapeHtml(name)}</div>${cells}</div>`;
  }

  /** Redraws from `state.grid`; cheap enough to run on every changed poll. */
  function render() {
    const grid = state.grid;
    if (!grid) return;
    const runs = grid.dag_runs;
    runsSelect.value = String(state.runsShown);
    older.disabled = state.offset + runs.length >= grid.total_entries;
    newer.disabled = state.offset === 0;
    const newest = grid.total_entries - state.offset;
    fill(range, grid.total_entries === 0 ? '' : `runs ${Math.max(1, newest - runs.length + 1)}–${newest} of ${grid.total_entries}`);
    const groups = allGroups(grid.task_ids).length > 0;
    foldAll.hidden = unfoldAll.hidden = !groups;
    empty.textContent = runs.length === 0 ? (state.offset > 0 ? 'No older runs.' : 'No runs yet: press Trigger.') : '';
    const key = `${grid.task_ids.length}:${grid.task_ids[0]}:${grid.task_ids.at(-1)}:${[...state.collapsed].join(',')}`;
    if (key !== rowsKey) {
      rows = buildRows(grid.task_ids, state.collapsed);
      rowsKey = key;
    }
    const width = LABEL_W + runs.length * (CELL_W + 2) + 8;
    drawHead(runs, width);
    body.style.height = `${rows.length * ROW_H}px`;
    body.style.width = `${width}px`;
    drawRows();
  }

  return { root, render };
}

/** The grid page of the API the view shows. */
export const gridQuery = () => `${dagPath}/grid?limit=${state.runsShown}&offset=${state.offset}`;
