import type { FastifyInstance } from 'fastify';
import type { ArtifactStore } from '../../../engine/plugin-api.ts';
import type { MlStore } from '../../store/schema.ts';
import { deployVersion } from '../../deploy.ts';
import { GateDecisions } from '../../registry/gate-decisions.ts';
import { ModelRegistry, type ModelVersion, type ProductionPeriod } from '../../registry/model-registry.ts';
import { modelParams, versionParams, type ModelParams, type VersionParams } from './schemas.ts';

const versionRow = (v: ModelVersion) => ({
  name: v.name,
  version: v.version,
  stage: v.stage,
  metrics: v.metrics,
  tracking_run_id: v.trackingRunId,
  artifact_uri: v.artifactUri,
  created_at: v.createdAt,
  record: v.record,
});
const periodRow = (p: ProductionPeriod) => ({ version: p.version, started_at: p.startedAt, ended_at: p.endedAt, reason: p.reason });
const reasonBody = { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } }, additionalProperties: false } as const;

/** The model registry: versions with metrics and pinned records, gate decisions, the production history, promote and roll back. */
export function modelRoutes(app: FastifyInstance, store: MlStore, artifacts: ArtifactStore): void {
  const registry = new ModelRegistry(store);
  const decisions = new GateDecisions(store);
  // Promote and rollback deploy as the CLI does: the artifact is read (verified) before it serves.

  app.get('/api/v1/models', async () => {
    const models = (await registry.list()).map((m) => ({
      name: m.name,
      latest_version: m.latestVersion,
      production_version: m.productionVersion,
      created_at: m.createdAt,
    }));
    return { models, total_entries: models.length };
  });

  app.get<{ Params: ModelParams }>('/api/v1/models/:name', { schema: { params: modelParams } }, async (request) => {
    const { name } = request.params;
    const [versions, history, aliases, gate] = await Promise.all([
      registry.versions(name),
      registry.history(name),
      registry.aliases(name),
      decisions.list(name),
    ]);
    return { name, aliases, versions: versions.map(versionRow), production_history: history.map(periodRow), gate_decisions: gate };
  });

  app.get<{ Params: VersionParams }>('/api/v1/models/:name/versions/:version', { schema: { params: versionParams } }, async (request) => {
    return versionRow(await registry.version(request.params.name, request.params.version));
  });

  app.get<{ Params: ModelParams }>('/api/v1/models/:name/gate-decisions', { schema: { params: modelParams } }, async (request) => {
    const gate = await decisions.list(request.params.name);
    return { gate_decisions: gate, total_entries: gate.length };
  });

  app.get<{ Params: ModelParams }>('/api/v1/models/:name/versions', { schema: { params: modelParams } }, async (request) => {
    const versions = await registry.versions(request.params.name);
    return { versions: versions.map(versionRow), total_entries: versions.length };
  });

  app.get<{ Params: ModelParams }>('/api/v1/models/:name/history', { schema: { params: modelParams } }, async (request) => {
    const history = await registry.history(request.params.name);
    return { production_history: history.map(periodRow), total_entries: history.length };
  });

  app.post<{ Params: VersionParams; Body: { reason?: string } }>(
    '/api/v1/models/:name/versions/:version/promote',
    {
      schema: { params: versionParams, body: reasonBody },
    },
    async (request) => {
      const { name, version } = request.params;
      const result = await deployVersion(store, artifacts, name, version, request.body.reason ?? 'manual promote (web)');
      return { name, previous_version: result.previous, production_version: result.current, artifact_uri: result.artifactUri };
    },
  );

  app.post<{ Params: ModelParams; Body: Record<string, never> }>(
    '/api/v1/models/:name/rollback',
    {
      schema: { params: modelParams, body: { type: 'object', additionalProperties: false } },
    },
    async (request) => {
      const result = await deployVersion(store, artifacts, request.params.name, 'previous', 'rollback (web)');
      return {
        name: request.params.name,
        previous_version: result.previous,
        production_version: result.current,
        artifact_uri: result.artifactUri,
      };
    },
  );
}
