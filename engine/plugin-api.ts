/**
 * The plugin API: the one engine module a plugin imports (Updraft's ML layer is one; the
 * layer check enforces it, docs/architecture.md). It re-exports what a plugin
 * legitimately needs and nothing of the engine's inside: the authoring API to
 * write operators and tasks, the error classes, artifact keys, chart, route
 * and command-output helpers, and the plugin's own view of a process
 * ({@link PluginContext}, {@link PluginStore}).
 *
 * Light on purpose: every command loads every plugin's command module, which
 * imports this one. So its values come from small modules (no DAG builder, no
 * store, no database driver); what opens a store does so on first use
 * ({@link processPluginContext}, `PluginContext.store()`). A plugin's DAG
 * files build DAGs with `'updraft'` as any DAG file does.
 */

// The plugin's contract and its view of a process.
export type {
  LoadedPlugins,
  PluginContext,
  PluginLogger,
  PluginPage,
  PluginRouteDeps,
  PluginUi,
  UpdraftPlugin,
} from './plugins/interfaces.ts';
export type { PluginStore } from './plugins/plugin-store.ts';
export { processPluginContext } from './plugins/plugin-context.ts';
export { PluginConflictError, PluginLoadError } from './plugins/errors.ts';

// The authoring API: the types as DAG files see them ('updraft'), the values from their own modules.
export type {
  Dag,
  DagGraph,
  DagOptions,
  DagSpec,
  Duration,
  FailureCallback,
  Schedule,
  SuccessCallback,
  TaskContext,
  TaskDefaults,
  TaskIsolation,
  TaskLogger,
  TaskOptions,
  TaskOrList,
  TaskSpec,
  XComSource,
} from './index.ts';
export { BaseOperator, chain, skipAllExcept } from '../operators/base-operator.ts';
export { TriggerRule } from './models/trigger-rule.ts';
export { DagRunState, DagRunType, TaskInstanceState } from './models/states.ts';

// Errors: a plugin throws the engine's, so the CLI, the REST API and the task runner treat them alike.
export {
  AlreadyExistsError,
  DagValidationError,
  FailWithoutRetryError,
  InvalidInputError,
  NotFoundError,
  SkipTaskError,
  TaskTimeoutError,
  UpdraftError,
} from './models/errors.ts';
export { ArtifactAddressError, ArtifactCorruptError, ArtifactNotFoundError } from './artifacts/errors.ts';

// The artifact store (opened by the PluginContext) and its keys.
export type { ArtifactBackend, ArtifactBody, ArtifactInfo, ArtifactStore } from './artifacts/interfaces.ts';
export { artifactKey, keySegments } from './artifacts/artifact-key.ts';

// The store: the engine's tables, for a plugin that reads one (`PluginStore<EngineDatabase & MyTables>`).
export type { Database as EngineDatabase } from './store/schema.ts';

// Where the project's home is ($UPDRAFT_HOME), for files a plugin keeps beside the store.
export { updraftHome } from './config/updraft-home.ts';

// Helpers: batching, server-drawn SVG charts, route schemas, command output.
export { chunks } from './utils/chunks.ts';
export { type Attributes, COLORS, compactNumber, el, escapeXml, percent, round, svgRoot, text, tooltip } from './utils/svg.ts';
/** Route-schema patterns for DAG and run ids: the same rules as the engine's routes and CLI. */
export { ID_PATTERN, RUN_ID_PATTERN } from './models/ids.ts';
export { drawTable, type OutputFormat, outputOption, printObject, printRows } from './utils/command-output.ts';
export { parsePositiveInt } from './models/option-values.ts';

/**
 * The module that makes a thread able to import TypeScript (and `'updraft'`):
 * a plugin's worker thread imports it first (`await import(url)`), its creator
 * passing this URL in. The engine's sources even in the precompiled build,
 * where worker threads run the sources.
 */
export const runtimeRegisterUrl: string = new URL('./runtime/register.mjs', import.meta.url).href;
