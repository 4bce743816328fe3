import { join } from 'node:path';
import type { UpdraftPlugin } from '../engine/plugin-api.ts';
import { registerDriftCommand } from './cli/drift.ts';
import { registerModelCommands } from './cli/models.ts';
import { registerPredictionCommands } from './cli/predictions.ts';
import * as modelRegistry from './store/migrations/003-model-registry.ts';
import * as modelVersionRecord from './store/migrations/013-model-version-record.ts';
import * as retrainClaims from './store/migrations/014-retrain-claims.ts';
import * as driftReportIndex from './store/migrations/015-drift-report-index.ts';
import * as modelArtifactUri from './store/migrations/017-model-artifact-uri.ts';
import * as retrainLog from './store/migrations/020-retrain-log.ts';

/**
 * Updraft's ML layer as a plugin of the engine (`"plugins": ["updraft/ml"]` in
 * `updraft.config.json`, the default): the model registry, drift and
 * prediction commands, their REST routes and pages, and the tables they use.
 * Loaded by every command, so it stays light: the routes and the ML libraries
 * load when used.
 */
const plugin: UpdraftPlugin = {
  name: 'ml',
  // The names are those the engine shipped them under (a store records them): never rename one.
  migrations: {
    '003-model-registry': modelRegistry,
    '013-model-version-record': modelVersionRecord,
    '014-retrain-claims': retrainClaims,
    '015-drift-report-index': driftReportIndex,
    '017-model-artifact-uri': modelArtifactUri,
    '020-retrain-log': retrainLog,
  },
  registerCommands(program, ctx) {
    registerDriftCommand(program);
    registerModelCommands(program, ctx);
    registerPredictionCommands(program, ctx);
  },
  async registerRoutes(app, { store, artifacts }) {
    // Opened now, as the webserver starts: a misconfigured UPDRAFT_ARTIFACTS_URL stops it with one line.
    const [{ modelRoutes }, { driftReportRoutes }, opened] = await Promise.all([
      import('./webserver/routes/models.ts'),
      import('./webserver/routes/drift-reports.ts'),
      artifacts(),
    ]);
    modelRoutes(app, store, opened);
    driftReportRoutes(app, store, opened);
  },
  ui: {
    folder: join(import.meta.dirname, 'webserver', 'ui'),
    pages: [
      { path: '/models', module: 'models.js', nav: 'Models' },
      { path: '/drift_reports', module: 'drift-report.js', nav: 'Drift' },
    ],
    styles: ['style.css'],
  },
};

export default plugin;
