import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TaskContext } from '../engine/models/task-context.ts';
import type { TaskOptions } from '../engine/models/interfaces.ts';
import { SkipTaskError } from '../engine/models/errors.ts';
import { BaseOperator } from './base-operator.ts';

export interface BashOperatorOptions extends TaskOptions {
  /** Run by `bash -c`. Never interpolate values into it: read them from the environment. */
  bashCommand: string;
  /** Extra environment variables. @defaultValue `{}` */
  env?: Record<string, string>;
  /** Working directory. @defaultValue the process's */
  cwd?: string;
  /** Exit code meaning "skip this task" (Airflow's `skip_on_exit_code`). @defaultValue `99` */
  skipOnExitCode?: number;
}

const envName = (key: string): string => key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
const envValue = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The environment a bash task sees: params and conf arrive as variables
 * (`UPDRAFT_PARAM_<NAME>`, `UPDRAFT_CONF` as JSON) and the run's identity as
 * `UPDRAFT_CTX_*`, so nothing user-supplied is ever spliced into the shell string.
 */
export function bashEnvironment(context: TaskContext, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const [key, value] of Object.entries(context.params)) env[`UPDRAFT_PARAM_${envName(key)}`] = envValue(value);
  env.UPDRAFT_PARAMS = JSON.stringify(context.params);
  env.UPDRAFT_CONF = JSON.stringify(context.conf);
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
  private readonly cwd: string | undefined;
  private readonly skipOnExitCode: number;

  constructor(options: BashOperatorOptions) {
    super(options);
    this.bashCommand = options.bashCommand;
    this.env = options.env ?? {};
    this.cwd = options.cwd;
    this.skipOnExitCode = options.skipOnExitCode ?? 99;
  }

  execute(context: TaskContext): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', this.bashCommand], {
        env: bashEnvironment(context, this.env),
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

      const killGroup = (): void => {
        if (child.pid === undefined || child.exitCode !== null) return;
        try {
          process.kill(-child.pid, 'SIGTERM');
          setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 2000).unref();
        } catch {
          /* already gone */
        }
      };
      context.signal.addEventListener('abort', killGroup, { once: true });

      child.on('error', (error) => reject(error));
      child.on('close', (code, signal) => {
        context.signal.removeEventListener('abort', killGroup);
        if (code === 0) resolve(lastLine);
        else if (code === this.skipOnExitCode) reject(new SkipTaskError(`bash exited with code ${code} (skip)`));
        else reject(new Error(signal ? `bash command killed by ${signal}` : `bash command exited with code ${code}`));
      });
    });
  }
}
