import { UpdraftError } from '../models/errors.ts';

/**
 * A plugin the project's config names could not be loaded: not found, failed
 * at import, or its default export is not an {@link UpdraftPlugin}. The message
 * names the plugin and where it was named (the config file), on one line.
 */
export class PluginLoadError extends UpdraftError {
  constructor(
    /** The name as the config gives it, e.g. `updraft/ml`. */
    readonly plugin: string,
    /** The config file that names it, or a description of the default. */
    readonly source: string,
    reason: string,
  ) {
    super(`plugin '${plugin}' (named in ${source}) cannot be loaded: ${reason.split('\n')[0]}`);
  }
}

/** Two loaded plugins (or a plugin and the engine) claim the same name: a migration, a command or a plugin name. */
export class PluginConflictError extends UpdraftError {}
