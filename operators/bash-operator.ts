import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TaskContext } from '../engine/models/task-context.ts';
import type { TaskOptions } from '../engine/models/interfaces.ts';
import { SkipTaskError } from '../engine/models/errors.ts';
import { isSecretEnvVar } from '../engine/models/secret-env.ts';
import { BaseOperator } from './base-operator.ts';

/** Options of {@link BashOperator}: the task options plus the command and its environment. */
export interface BashOperatorOptions extends TaskOptions {
  /** Run by `bash -c`. Never interpolate values into it: read them from the environment. */
  bashCommand: string;
  /**
   * Variables added to the task's environment (they win over inherited ones;
   * the `UPDRAFT_*` context variables win over them). @defaultValue `{}`
   */
  env?: Record<string, string>;
  /**
   * Inherit the worker's environment, minus every variable that is secret
   * (see engine/models/secret-env.ts), as Airflow's `append_env`. Without it
   * the task gets only `PATH`, `HOME`, `LANG`, `TZ`, its context variables and
   * `env` — unlike Airflow, whose BashOperator without `env` inherits
   * everything, the worker's Redis and store URLs and API token included.
   * @defaultValue `false`
   */
  appendEnv?: boolean;
  /** Working directory. @defaultValue the process's */
  cwd?: string;
  /** Exit code meaning "skip this task" (Airflow's `skip_on_exit_code`). @defaultValue `99` */
  skipOnExitCode?: number;
}

const envName = (key: string): string => key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
const envValue = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A variable longer than this is left out of the environment (its file
 * carries it): Linux refuses to start a process with one string over 128 KiB
 * (E2BIG), and the whole environment has a limit too.
 */
const MAX_ENV_VALUE_BYTES = 32 * 1024;

/** What a bash task gets from the worker's environment by default: enough to find programs and format text and dates. */
const BASE_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

/** The worker's variables a task starts from: the base names, or (`appendEnv`) all but the secret ones. */
export function inheritedEnvironment(workerEnv: NodeJS.ProcessEnv, appendEnv: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (appendEnv) {
    for (const [name, value] of Object.entries(workerEnv)) if (value !== undefined && !isSecretEnvVar(name, value)) env[name] = value;
  } else {
    for (const name of BASE_ENV_NAMES) if (workerEnv[name] !== undefined) env[name] = workerEnv[name];
  }
  return env;
}

/**
 * The environment a bash task sees: what it inherits (see
 * {@link inheritedEnvironment}) and its `env` option; params and conf as
 * variables (`UPDRAFT_PARAM_<NAME>`, `UPDRAFT_CONF` as JSON) and always as
 * files (`UPDRAFT_CONF_FILE`, `UPDRAFT_PARAMS_FILE`, in `dir`); the run's
 * identity as `UPDRAFT_CTX_*`, so nothing user-supplied is ever spliced into
 * the shell string. A value too long for an environment variable is only in its file.
 */
export function bashEnvironment(
  context: TaskContext,
  extra: Record<string, string>,
  dir: string,
  { appendEnv = false, workerEnv = process.env }: { appendEnv?: boolean; workerEnv?: NodeJS.ProcessEnv } = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...inheritedEnvironment(workerEnv, appendEnv), ...extra };
  const put = (name: string, value: string): void => {
    if (Buffer.byteLength(value) <= MAX_ENV_VALUE_BYTES) env[name] = value;
    else context.log.info(`${name} is ${Buffer.byteLength(value)} bytes, too long for the environment: read it from its file`);
  };
  for (const [key, value] of Object.entries(context.params)) put(`UPDRAFT_PARAM_${envName(key)}`, envValue(value));
  const params = JSON.stringify(context.params);
  const conf = JSON.stringify(context.conf);
  put('UPDRAFT_PARAMS', params);
  put('UPDRAFT_CONF', conf);
  env.UPDRAFT_PARAMS_FILE = join(dir, 'params.json');
  env.UPDRAFT_CONF_FILE = join(dir, 'conf.json');
  writeFileSync(env.UPDRAFT_PARAMS_FILE, params, { mode: 0o600 });
  writeFileSync(env.UPDRAFT_CONF_FILE, conf, { mode: 0o600 });
  env.UPDRAFT_CTX_DAG_ID = context.dagId;
  env.UPDRAFT_CTX_RUN_ID = context.runId;
  env.UPDRAFT_CTX_TASK_ID = context.taskId;
  env.UPDRAFT_CTX_TRY_NUMBER = String(context.tryNumber);
  env.UPDRAFT_CTX_LOGICAL_DATE = context.logicalDate.toISOString();
  env.UPDRAFT_CTX_DATA_INTERVAL_START = context.dataIntervalStart.toISOString();
  env.UPDRAFT_CTX_DATA_INTERVAL_END = context.dataIntervalEnd.toISOString();
  return env;
}

/**
 * Runs a shell command in its own process group. stdout and stderr lines go to
 * the task log; the last stdout line is the XCom value; a non-zero exit fails
 * the try; a timeout or shutdown kills the whole group.
 */
export class BashOperator extends BaseOperator<string | null> {
  readonly operatorName = 'bash';
  readonly bashCommand: string;
  private readonly env: Record<string, string>;
  private readonly appendEnv: boolean;
  private readonly cwd: string | undefined;
  private readonly skipOnExitCode: number;

  constructor(options: BashOperatorOptions) {
    super(options);
    this.bashCommand = options.bashCommand;
    this.env = options.env ?? {};
    this.appendEnv = options.appendEnv ?? false;
    this.cwd = options.cwd;
    this.skipOnExitCode = options.skipOnExitCode ?? 99;
  }

  execute(context: TaskContext): Promise<string | null> {
    // A private folder per try for the conf and params files; removed when bash ends.
    const dir = mkdtempSync(join(tmpdir(), 'updraft-bash-'));
    const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
    return new Promise<string | null>((resolve, reject) => {
      const child = spawn('bash', ['-c', this.bashCommand], {
        env: bashEnvironment(context, this.env, dir, { appendEnv: this.appendEnv }),
        cwd: this.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let lastLine: string | null = null;
      createInterface({ input: child.stdout }).on('line', (line) => {
        lastLine = line;
        context.log.info(line);
      });
      createInterface({ input: child.stderr }).on('line', (line) => context.log.warn(line));

      // A signal to a group that is gone throws ESRCH: never from a timer, where it would kill the worker.
      const signalGroup = (signal: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* already gone */
        }
      };
      const killGroup = (): void => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        signalGroup('SIGTERM');
        // bash may be gone while a process it started holds on: the rest of the group gets SIGKILL.
        setTimeout(() => signalGroup('SIGKILL'), 2000).unref();
      };
      context.signal.addEventListener('abort', killGroup, { once: true });

      child.on('error', (error) => reject(error));
      child.on('close', (code, signal) => {
        context.signal.removeEventListener('abort', killGroup);
        if (code === 0) resolve(lastLine);
        else if (code === this.skipOnExitCode) reject(new SkipTaskError(`bash exited with code ${code} (skip)`));
        else reject(new Error(signal ? `bash command killed by ${signal}` : `bash command exited with code ${code}`));
      });
    }).finally(cleanUp);
  }
}
