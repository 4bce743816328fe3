// The DAG page's shared state and its deep link: the URL names the view, run, task and try that are open,
// and the runs shown, so a link pasted into a chat opens the same thing.
export const dagId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
export const dagPath = `/dags/${encodeURIComponent(dagId)}`;

export const VIEWS = ['grid', 'graph', 'gantt', 'duration', 'code'];
export const RUNS_SHOWN = [25, 50, 100, 365];

const query = new URLSearchParams(location.search);
const number = (name, fallback) =>
  Number.isInteger(Number(query.get(name))) && query.get(name) !== null ? Number(query.get(name)) : fallback;

export const state = {
  view: VIEWS.includes(query.get('view')) ? query.get('view') : 'grid',
  runId: query.get('run'),
  taskId: query.get('task'),
  tryNumber: query.has('try') ? number('try', null) : null,
  runsShown: RUNS_SHOWN.includes(number('runs', 25)) ? number('runs', 25) : 25,
  offset: Math.max(0, number('offset', 0)),
  /** Task groups folded in the grid. */
  collapsed: new Set(),
  /** API answers: the DAG, its grid page and its tasks. */
  dag: null,
  grid: null,
  tasks: null,
};

const listeners = new Set();

/** `fn(changedKeys)` after every {@link update}. */
export const subscribe = (fn) => listeners.add(fn);

/** Changes the state, rewrites the URL to match and tells every listener which keys changed. */
export function update(patch) {
  Object.assign(state, patch);
  const params = new URLSearchParams();
  if (state.view !== 'grid') params.set('view', state.view);
  if (state.runId) params.set('run', state.runId);
  if (state.taskId) params.set('task', state.taskId);
  if (state.tryNumber) params.set('try', String(state.tryNumber));
  if (state.runsShown !== 25) params.set('runs', String(state.runsShown));
  if (state.offset) params.set('offset', String(state.offset));
  const search = params.toString();
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
  const keys = Object.keys(patch);
  for (const fn of listeners) fn(keys);
}

/** The run the graph and Gantt show: the one selected, else the newest on the page. */
export const currentRunId = () => state.runId ?? state.grid?.dag_runs.at(-1)?.run_id ?? null;

/** The API path of a run, or of a task of it. */
export const runPath = (runId) => `${dagPath}/dagRuns/${encodeURIComponent(runId)}`;
export const taskPath = (runId, taskId) => `${runPath(runId)}/taskInstances/${encodeURIComponent(taskId)}`;
