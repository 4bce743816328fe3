import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { Migration } from 'kysely';
import type { ArtifactStore } from '../artifacts/interfaces.ts';
import type { TaskLogger } from '../models/task-context.ts';
import type { PluginStore } from './plugin-store.ts';

/**
 * An extension of the engine, named in the project's `updraft.config.json`
 * (`"plugins": ["updraft/ml"]`) and loaded with a dynamic `import()` of
 * `<name>/plugin`, whose default export is this object. The engine never
 * imports a plugin statically: Updraft's ML layer (`updraft/ml`) is one.
 * A plugin imports only `engine/plugin-api.ts`.
 *
 * Keep the module light: every command loads it. Load heavy code inside
 * `registerRoutes` and the command actions.
 */
export interface UpdraftPlugin {
  /** A short id, `[a-z][a-z0-9-]*`: its UI assets are served under `/static/plugins/<name>/`. */
  readonly name: string;
  /**
   * Store migrations, merged by name with the engine's into one list applied
   * in name order. Names are forever (a store records the ones it ran):
   * never rename or edit a shipped one, add a new one.
   */
  readonly migrations?: Readonly<Record<string, Migration>>;
  /** Adds the plugin's CLI commands. `ctx` gives the command's {@link PluginContext}; its store and artifact store open on first use. */
  registerCommands?(program: Command, ctx: () => PluginContext): void;
  /** Adds the plugin's REST routes (under `/api/v1/`) to the webserver. */
  registerRoutes?(app: FastifyInstance, deps: PluginRouteDeps): void | Promise<void>;
  /** The plugin's pages in the web UI. */
  readonly ui?: PluginUi;
}

/**
 * What the engine gives a plugin's code in a process: the store (with every
 * loaded plugin's migrations applied) and the artifact store, each opened on
 * first use and closed by the engine, and a log. A command gets the CLI's
 * (the same store its other commands use); task code gets the process's
 * ({@link processPluginContext}).
 */
export interface PluginContext {
  store(): Promise<PluginStore>;
  /** The artifact store this process is configured for (`UPDRAFT_ARTIFACTS_URL`). */
  artifacts(): Promise<ArtifactStore>;
  /** One line per call, on stderr, under the plugin's name. */
  readonly log: PluginLogger;
}

/** A plugin's log: the same three levels as a task's. */
export type PluginLogger = TaskLogger;

/** What the webserver hands a plugin's routes (the request log is `app.log`). */
export interface PluginRouteDeps {
  /** The store the webserver reads and writes (with every loaded plugin's migrations applied). */
  readonly store: PluginStore;
  /** The webserver's artifact store (`UPDRAFT_ARTIFACTS_URL`), opened on the first call, closed with the webserver. */
  artifacts(): Promise<ArtifactStore>;
}

/** A plugin's pages: browser modules the single-page UI imports by path. */
export interface PluginUi {
  /** Absolute folder of the plugin's browser assets, served at `/static/plugins/<plugin name>/`. */
  readonly folder: string;
  readonly pages: readonly PluginPage[];
  /** Stylesheets, relative to {@link PluginUi.folder}, loaded on every page after the engine's. */
  readonly styles?: readonly string[];
}

/** One page of the UI: the path it answers and the module that renders it. */
export interface PluginPage {
  /** e.g. `/models`; the page also answers paths below it (`/models/...`). */
  readonly path: string;
  /** The page module, relative to {@link PluginUi.folder}, e.g. `models.js`. It may import `/static/common.js`. */
  readonly module: string;
  /** The label of its link in the header; no link when absent. */
  readonly nav?: string;
}

/** The plugins of this process, as loaded from the project's config. */
export interface LoadedPlugins {
  readonly plugins: readonly UpdraftPlugin[];
  /** Where the list came from: the config file, or the default's description (for messages and `updraft info`). */
  readonly source: string;
}
