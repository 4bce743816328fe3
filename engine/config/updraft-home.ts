import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidInputError } from '../models/errors.ts';

/**
 * Where this process keeps its state (`$UPDRAFT_HOME`) and finds its DAG
 * files: the one place that derives those paths.
 *
 * Like git finding `.git`, the current folder and its parents are searched
 * for a project: a folder holding `updraft.config.{json,yaml,yml}` or a
 * `.updraft/` directory. Outside any project the home is `~/updraft`, as
 * Airflow's `~/airflow`. So a command run from a subfolder uses the same store
 * as one run from the project root, never a stray `.updraft` of its own.
 */

/** The project markers, in the order one folder is checked. */
export const CONFIG_FILES = ['updraft.config.json', 'updraft.config.yaml', 'updraft.config.yml'] as const;
export const PROJECT_HOME = '.updraft';
export const PROJECT_DAGS = 'dags';

/**
 * What an `updraft.config.*` file may say. It marks the project root; both
 * keys are optional and relative to the file's folder. `UPDRAFT_HOME` and
 * `UPDRAFT_DAGS_FOLDER` still win over them.
 */
export interface ProjectConfig {
  /** @defaultValue `.updraft` */
  home?: string;
  /** @defaultValue `dags` */
  dagsFolder?: string;
  /** Plugins to load, e.g. `["updraft/ml"]` (engine/plugins/load-plugins.ts). @defaultValue {@link DEFAULT_PLUGINS} */
  plugins?: string[];
}

const PATH_KEYS = ['home', 'dagsFolder'] as const;
const CONFIG_KEYS = [...PATH_KEYS, 'plugins'] as const;
/** The plugins of a project whose config does not say (or of no project): Updraft's ML layer. */
export const DEFAULT_PLUGINS: readonly string[] = ['updraft/ml'];

export interface Project {
  /** The folder holding the marker. */
  root: string;
  /** `updraft.config.json`, ... or `.updraft/`: what made `root` a project. */
  marker: string;
  /** The config file, when the marker is one. */
  configFile: string | null;
  /** The keys that file sets. */
  configured: ReadonlyArray<'home' | 'dagsFolder' | 'plugins'>;
  home: string;
  dagsFolder: string;
  /** The plugins the config names; null when it does not say. */
  plugins: string[] | null;
}

/** A path and the rule that chose it, for `updraft info` and error messages. */
export interface Resolved {
  path: string;
  /** e.g. `UPDRAFT_HOME`, `project /p (.updraft/)`, `default (no project above /cwd)`. */
  source: string;
}

export interface Layout {
  project: Project | null;
  home: Resolved;
  dagsFolder: Resolved;
}

export interface LayoutOptions {
  /** Where the search starts. @defaultValue `process.cwd()` */
  cwd?: string;
  /** Variables to read. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /** An explicit DAG folder (`--dags-folder`), relative to `cwd`. */
  dagsFolder?: string;
}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

// Checked by hand, not with zod: every command reads this file, and loading zod would cost each one more than the check.
function readConfig(file: string): ProjectConfig {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    // yaml is loaded only for a YAML config: a read command should not pay for it.
    raw = file.endsWith('.json') ? JSON.parse(text) : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`,
    );
  }
  raw ??= {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidInputError(`${file}: must be an object with the keys ${CONFIG_KEYS.join(', ')}`);
  const config: ProjectConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key))
      throw new InvalidInputError(`${file}: unknown key '${key}' (allowed keys: ${CONFIG_KEYS.join(', ')})`);
    if (key === 'plugins') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== ''))
        throw new InvalidInputError(`${file}: 'plugins' must be a list of plugin names, got ${JSON.stringify(value)}`);
      config.plugins = value as string[];
      continue;
    }
    if (typeof value !== 'string' || value === '')
      throw new InvalidInputError(`${file}: '${key}' must be a non-empty path, got ${JSON.stringify(value)}`);
    config[key as (typeof PATH_KEYS)[number]] = value;
  }
  return config;
}

/** The nearest project at or above `from`, or null. */
export function findProject(from: string): Project | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const configFile = CONFIG_FILES.map((name) => join(dir, name)).find((file) => existsSync(file));
    if (configFile) {
      const config = readConfig(configFile);
      const configured = CONFIG_KEYS.filter((key) => config[key] !== undefined);
      return {
        root: dir,
        marker: basename(configFile),
        configFile,
        configured,
        home: resolve(dir, config.home ?? PROJECT_HOME),
        dagsFolder: resolve(dir, config.dagsFolder ?? PROJECT_DAGS),
        plugins: config.plugins ?? null,
      };
    }
    if (isDirectory(join(dir, PROJECT_HOME))) {
      return {
        root: dir,
        marker: `${PROJECT_HOME}/`,
        configFile: null,
        configured: [],
        home: join(dir, PROJECT_HOME),
        dagsFolder: join(dir, PROJECT_DAGS),
        plugins: null,
      };
    }
    if (dirname(dir) === dir) return null;
  }
}

/** `~/updraft`: the home outside any project. `os.homedir()` follows `$HOME`. */
export const userHome = (): string => join(homedir(), 'updraft');

/** Home and DAG folder of this process, each with the rule that found it. */
export function resolveLayout(options: LayoutOptions = {}): Layout {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const project = findProject(cwd);
  const projectSource = (key: 'home' | 'dagsFolder'): string =>
    project!.configured.includes(key) ? `${key} in ${project!.configFile}` : `project ${project!.root} (found ${project!.marker})`;

  // An empty variable means unset, not the current directory.
  const home: Resolved = env.UPDRAFT_HOME
    ? { path: resolve(cwd, env.UPDRAFT_HOME), source: 'UPDRAFT_HOME' }
    : project
      ? { path: project.home, source: projectSource('home') }
      : { path: userHome(), source: `default ~/updraft (no ${CONFIG_FILES[0]} or ${PROJECT_HOME}/ at or above ${cwd})` };

  const dagsFolder: Resolved = options.dagsFolder
    ? { path: resolve(cwd, options.dagsFolder), source: '--dags-folder' }
    : env.UPDRAFT_DAGS_FOLDER
      ? { path: resolve(cwd, env.UPDRAFT_DAGS_FOLDER), source: 'UPDRAFT_DAGS_FOLDER' }
      : project
        ? { path: project.dagsFolder, source: projectSource('dagsFolder') }
        : { path: join(home.path, PROJECT_DAGS), source: `${PROJECT_DAGS}/ under the home (no project)` };

  return { project, home, dagsFolder };
}

// Many callers ask per task (the ML pipeline's data folder): remember the answer per folder and variables.
const cache = new Map<string, Layout>();

function cachedLayout(): Layout {
  const key = [process.cwd(), process.env.UPDRAFT_HOME ?? '', process.env.UPDRAFT_DAGS_FOLDER ?? '', homedir()].join('\0');
  let layout = cache.get(key);
  if (!layout) {
    layout = resolveLayout();
    cache.set(key, layout);
  }
  return layout;
}

/** The project of this process (the nearest one at or above the current folder), or null. */
export const currentProject = (): Project | null => cachedLayout().project;

/** `$UPDRAFT_HOME`: `home` if given, else as {@link resolveLayout} finds it. */
export function updraftHome(home?: string): string {
  return home ? resolve(home) : cachedLayout().home.path;
}

/** The DAG folder: `folder` if given, else `$UPDRAFT_DAGS_FOLDER`, else the project's `dags/`, else `$UPDRAFT_HOME/dags`. */
export function defaultDagsFolder(folder?: string): string {
  return folder ? resolve(folder) : cachedLayout().dagsFolder.path;
}
