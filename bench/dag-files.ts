import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOIN_DAGS } from './join-shapes.ts';

/** Writes the benchmark DAGs into `folder`. */
export function writeBenchDags(folder: string): void {
  writeFileSync(
    join(folder, 'bench_chain.ts'),
    `
import { dag, chain } from 'updraft';
export const d = dag({ dagId: 'bench_chain_500' });
chain(...Array.from({ length: 500 }, (_, i) => d.empty('t' + i)));
`,
  );
  writeFileSync(
    join(folder, 'bench_wide.ts'),
    `
import { dag } from 'updraft';
export const d = dag({ dagId: 'bench_wide_10000' });
for (let i = 0; i < 10000; i++) d.empty('t' + i);
`,
  );
  // (f) shapes of a public cross-engine benchmark: 40 light tasks in sequence, 10 tasks of 1 s in sequence.
  writeFileSync(
    join(folder, 'bench_sequences.ts'),
    `
import { dag, chain } from 'updraft';
export const light = dag({ dagId: 'bench_light_40' });
chain(...Array.from({ length: 40 }, (_, i) => light.task('t' + i, () => i)));
export const second = dag({ dagId: 'bench_second_10' });
chain(...Array.from({ length: 10 }, (_, i) => second.task('t' + i, () => new Promise((r) => setTimeout(() => r(i), 1000)))));
`,
  );
  // (k), (l): joins at a fan-in of 3,000 and 30 stages of 100, against 3,000 independent tasks.
  writeFileSync(join(folder, 'bench_joins.ts'), JOIN_DAGS);
  writeFileSync(
    join(folder, 'bench_sleep.ts'),
    `
import { dag } from 'updraft';
export const d = dag({ dagId: 'bench_sleep_200' });
for (let i = 0; i < 200; i++) d.task('t' + i, () => new Promise((r) => setTimeout(r, 50)));
`,
  );
}
