/**
 * The files `updraft init` writes, as text. Kept apart from the command so the
 * template reads as the user will see it.
 */

export interface TemplateOptions {
  /** npm package name of the new project. */
  name: string;
  /** Absolute folder of this engine, for the `file:` dependency. */
  engineRoot: string;
  /** The example DAG's start date, `YYYY-MM-DD`. */
  startDate: string;
}

const exampleDag = (startDate: string): string => `/**
 * An example DAG made by \`updraft init\`: a bash task says hello, a TypeScript
 * task counts the letters it said. New DAGs start paused, as in Airflow.
 *
 *   updraft dags test example_dag                 # run it once, here and now
 *   updraft dags unpause example_dag              # let the scheduler run it daily
 *   updraft dags trigger example_dag --conf '{"name": "Ada"}'
 */
import { dag } from 'updraft';

const example = dag({
  dagId: 'example_dag',
  description: 'Say hello in bash, count the letters in TypeScript',
  tags: ['example'],
  schedule: '@daily',
  startDate: '${startDate}',
  catchup: false,
  params: { name: 'world' }, // a run's conf overrides these
  defaultArgs: { owner: 'you', retries: 1, retryDelay: '1m' },
});

// Params reach bash as environment variables; the last line printed is the task's XCom value.
const greet = example.bash('greet', 'echo "hello, $UPDRAFT_PARAM_NAME"');

const count = example.task('count_letters', (ctx) => {
  const greeting = ctx.xcom(greet) ?? ''; // typed: string | null
  ctx.log.info(\`the greeting was: \${greeting}\`);
  return { letters: greeting.replace(/[^a-z]/gi, '').length };
});

greet.to(count);

export default example;
`;

/** The `file:` dependency makes `npm install` link this engine, so editors resolve \`'updraft'\`; the engine itself needs no install here. */
const packageJson = ({ name, engineRoot }: TemplateOptions): string =>
  `${JSON.stringify(
    {
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      description: 'Updraft DAGs',
      dependencies: { updraft: `file:${engineRoot}` },
    },
    null,
    2,
  )}\n`;

/**
 * For editors and `tsc`: the engine's own settings (it ships TypeScript
 * sources). Node's types come with the linked engine, so the project needs no
 * dev dependencies of its own.
 */
const tsconfig = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: ['./node_modules/@types', './node_modules/updraft/node_modules/@types'],
    },
    include: ['dags'],
  },
  null,
  2,
)}\n`;

/** Marks the project root for `updraft` run anywhere below it (and is committed, unlike `.updraft/`). */
const config = `${JSON.stringify({ home: '.updraft', dagsFolder: 'dags', plugins: ['updraft/ml'] }, null, 2)}\n`;

const gitignore = `node_modules/
# the store, logs and artifacts of this machine (updraft.config.json points here)
.updraft/
`;

/** Path (relative to the project) → contents. */
export function projectFiles(options: TemplateOptions): Record<string, string> {
  return {
    'dags/example_dag.ts': exampleDag(options.startDate),
    'package.json': packageJson(options),
    'tsconfig.json': tsconfig,
    'updraft.config.json': config,
    '.gitignore': gitignore,
  };
}
