// The DAG model is a pure description; the shorthands (d.task, d.bash…) live in
// the DAG builder beside the operators (issue 24, point 4). No Redis, no database.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Dag, dag, isDag, TriggerRule } from '../../engine/index.ts';
import { Dag as DagModel } from '../../engine/models/dag.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelsDir = join(root, 'engine', 'models');

/** Relative specifiers of every import/export-from in a TypeScript source (type-only ones too). */
function relativeImports(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const bare = [...source.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const dynamic = [...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...specifiers, ...bare, ...dynamic].filter((s) => s.startsWith('.'));
}

describe('the DAG model and its builder', () => {
  it('engine/models/ imports nothing of ours but engine/models/ and engine/utils/', () => {
    const outside: string[] = [];
    for (const file of readdirSync(modelsDir).filter((f) => f.endsWith('.ts'))) {
      for (const spec of relativeImports(readFileSync(join(modelsDir, file), 'utf8'))) {
        const target = relative(root, resolve(modelsDir, spec)).replaceAll('\\', '/');
        if (!target.startsWith('engine/models/') && !target.startsWith('engine/utils/')) outside.push(`engine/models/${file} → ${target}`);
      }
    }
    assert.deepEqual(outside, []);
  });

  it('dag() builds a Dag of the authoring API with every shorthand, and the engine sees it as its model', () => {
    const d = dag({ dagId: 'builder_shorthands' });
    assert.ok(d instanceof Dag);
    assert.ok(d instanceof DagModel, 'engine internals take the model type');
    assert.ok(isDag(d));
    const start = d.task('start', () => 1);
    const pick = d.branch('pick', () => 'run');
    const run = d.bash('run', 'true', { retries: 2 });
    const gate = d.shortCircuit('gate', () => true);
    const join = d.empty('join', { triggerRule: TriggerRule.NONE_FAILED });
    start.to(pick).to([run, gate]);
    join.from([run, gate]);
    const spec = d.toSpec();
    assert.deepEqual(
      spec.tasks.map((t) => [t.taskId, t.operator]),
      [
        ['start', 'function'],
        ['pick', 'branch'],
        ['run', 'bash'],
        ['gate', 'short_circuit'],
        ['join', 'empty'],
      ],
    );
    assert.equal(spec.tasks.find((t) => t.taskId === 'run')?.retries, 2);
    assert.deepEqual(d.downstreamOf('pick'), ['gate', 'run']);
    assert.equal(d.getTask('start'), start);
  });

  it('the model alone holds tasks added with add() but has no shorthand', () => {
    const model = new DagModel({ dagId: 'model_only' });
    assert.equal('task' in model, false);
    assert.ok(isDag(model));
  });
});
