// Trigger with a conf: a field per DAG param (its default filled in) and the JSON the run gets, kept in step.
import { api, fill, h } from './common.js';
import { dagId, dagPath, state, update } from './dag-state.js';

const fields = h('div', { class: 'param-fields', 'data-testid': 'param-fields' });
const confText = h('textarea', { 'data-testid': 'conf-editor', spellcheck: 'false' });
const confError = h('p', { class: 'error', 'data-testid': 'conf-error' });
const dialog = h(
  'dialog',
  { 'data-testid': 'trigger-dialog' },
  h('h2', {}, `Trigger ${dagId}`),
  h('p', { class: 'muted' }, "The DAG's params with their defaults; what you change goes into the run conf and overrides them."),
  fields,
  h('label', {}, 'Run conf (a JSON object):'),
  confText,
  confError,
  h(
    'div',
    { class: 'toolbar' },
    h('button', { class: 'primary', 'data-testid': 'trigger-submit', onclick: () => submit() }, 'Trigger'),
    h('button', { onclick: () => dialog.close() }, 'Cancel'),
  ),
);
document.body.append(dialog);

/** An input fitting the default's type; objects and arrays are edited as JSON. */
function field(name, value, onChange) {
  const kind =
    typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : typeof value === 'string' ? 'string' : 'json';
  const input =
    kind === 'boolean'
      ? h('input', { type: 'checkbox', checked: value })
      : kind === 'json'
        ? h('input', { type: 'text', value: JSON.stringify(value), class: 'mono' })
        : h('input', { type: kind === 'number' ? 'number' : 'text', value: String(value), step: 'any' });
  input.dataset.testid = `param-${name}`;
  input.addEventListener('input', () => {
    try {
      onChange(
        kind === 'boolean'
          ? input.checked
          : kind === 'number'
            ? Number(input.value)
            : kind === 'json'
              ? JSON.parse(input.value)
              : input.value,
      );
      input.classList.remove('invalid');
    } catch {
      input.classList.add('invalid');
    }
  });
  return h('label', { class: 'param' }, h('span', {}, name), input, h('span', { class: 'muted' }, `default ${JSON.stringify(value)}`));
}

export function openTrigger() {
  const params = state.dag?.params ?? {};
  confText.value = JSON.stringify(params, null, 2);
  confError.textContent = '';
  const setParam = (name, value) => {
    let conf;
    try {
      conf = JSON.parse(confText.value || '{}');
    } catch {
      conf = { ...params };
    }
    confText.value = JSON.stringify({ ...conf, [name]: value }, null, 2);
  };
  fill(
    fields,
    Object.keys(params).length === 0
      ? h('p', { class: 'muted' }, 'This DAG declares no params.')
      : Object.entries(params).map(([name, value]) => field(name, value, (v) => setParam(name, v))),
  );
  dialog.showModal();
}

async function submit() {
  let conf;
  try {
    conf = JSON.parse(confText.value || '{}');
  } catch (error) {
    confError.textContent = `not valid JSON: ${error.message}`;
    return;
  }
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) {
    confError.textContent = 'the conf must be a JSON object, like {"key": "value"}';
    return;
  }
  try {
    const run = await api(`${dagPath}/dagRuns`, { method: 'POST', body: { conf } });
    dialog.close();
    update({ runId: run.run_id, taskId: null, tryNumber: null, offset: 0 });
  } catch (error) {
    confError.textContent = error.message;
  }
}
