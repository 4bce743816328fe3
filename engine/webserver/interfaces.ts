import type { Logger } from '../logging/logger.ts';
import type { UpdraftPlugin } from '../plugins/interfaces.ts';
import type { QueueConnectionOptions } from '../queue/interfaces.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../utils/clock.ts';

/** Options of `updraft webserver` (and of {@link createWebserver} in tests). */
export interface WebserverOptions extends QueueConnectionOptions {
  /** The store the CLI reads: the webserver never holds state of its own. */
  store: Store;
  /**
   * Interface to bind. Anything but a loopback address requires `apiToken`.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string;
  /** @defaultValue `8080` */
  port?: number;
  /**
   * Bearer token every write (trigger, pause, promote, rollback) must carry.
   * Required when `host` is not loopback; optional (but enforced when set) on loopback.
   * @defaultValue `$UPDRAFT_API_TOKEN`
   */
  apiToken?: string;
  /** This host's copy of the DAG folder: the Code view reads a DAG's source there (Airflow's relative_fileloc). @defaultValue the configured DAG folder */
  dagsFolder?: string;
  /** @defaultValue the system clock (`$UPDRAFT_NOW` pins it) */
  clock?: Clock;
  /** @defaultValue a pino logger for component `webserver` */
  log?: Logger;
  /** Plugins whose routes and pages are served. @defaultValue those the project's config names */
  plugins?: readonly UpdraftPlugin[];
}
