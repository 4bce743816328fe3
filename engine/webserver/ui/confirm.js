// One confirmation dialog for every run and task action: the question, its options, the list of
// task instances it would change (Airflow's dry run), and the buttons.
import { fill, h, statePill } from './common.js';

const question = h('p', { 'data-testid': 'confirm-text' });
const optionsBox = h('div', { class: 'confirm-options' });
const preview = h('div', { class: 'confirm-preview', 'data-testid': 'confirm-preview' });
const error = h('p', { class: 'error', 'data-testid': 'confirm-error' });
const yes = h('button', { class: 'danger', 'data-testid': 'confirm-yes' }, 'Confirm');
const no = h('button', { 'data-testid': 'confirm-no' }, 'Cancel');
const title = h('h2', {});
const dialog = h(
  'dialog',
  { 'data-testid': 'confirm-dialog', class: 'confirm' },
  title,
  question,
  optionsBox,
  preview,
  error,
  h('div', { class: 'toolbar' }, yes, no),
);
document.body.append(dialog);
no.addEventListener('click', () => dialog.close());

/**
 * Asks before `run(options)`. `options` are checkboxes (`{ name, label, checked }`);
 * `dryRun(options)`, when given, lists the task instances the action would change
 * and is asked again whenever an option changes. Resolves after the action ran (or was cancelled).
 */
export function confirmAction({ heading, text, confirmLabel = 'Confirm', options = [], dryRun, run, onDone }) {
  fill(title, heading);
  fill(question, text);
  yes.textContent = confirmLabel;
  error.textContent = '';
  const boxes = options.map((o) => h('input', { type: 'checkbox', checked: o.checked, 'data-testid': `confirm-option-${o.name}` }));
  const chosen = () => Object.fromEntries(options.map((o, i) => [o.name, boxes[i].checked]));
  fill(
    optionsBox,
    options.map((o, i) => h('label', {}, boxes[i], ` ${o.label}`)),
  );
  let asked = 0;
  const refreshPreview = async () => {
    if (!dryRun) return fill(preview);
    const mine = ++asked;
    fill(preview, h('p', { class: 'muted' }, 'Looking up what this changes…'));
    try {
      const tis = await dryRun(chosen());
      if (mine !== asked) return;
      fill(
        preview,
        h('p', {}, tis.length === 0 ? 'No task instance would change.' : `${tis.length} task instance(s) would change:`),
        h(
          'ul',
          { 'data-testid': 'confirm-preview-list' },
          tis
            .slice(0, 200)
            .map((ti) =>
              h('li', {}, `${ti.task_id} `, h('span', { class: 'muted' }, ti.run_id ?? ''), ' ', ti.state ? statePill(ti.state) : ''),
            ),
        ),
        tis.length > 200 ? h('p', { class: 'muted' }, `… and ${tis.length - 200} more`) : null,
      );
    } catch (e) {
      if (mine === asked) fill(preview, h('p', { class: 'muted' }, `Could not list what this changes: ${e.message}`));
    }
  };
  for (const box of boxes) box.addEventListener('change', refreshPreview);
  yes.onclick = async () => {
    yes.disabled = true;
    try {
      await run(chosen());
      dialog.close();
      await onDone?.();
    } catch (e) {
      error.textContent = e.message;
    } finally {
      yes.disabled = false;
    }
  };
  dialog.showModal();
  void refreshPreview();
}
