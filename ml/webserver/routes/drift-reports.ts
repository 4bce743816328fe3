import type { FastifyInstance } from 'fastify';
import { type ArtifactStore, ID_PATTERN, NotFoundError, RUN_ID_PATTERN } from '../../../engine/plugin-api.ts';
import type { MlStore } from '../../store/schema.ts';
import { isArtifactUri, readCsvSource } from '../../data/data-source.ts';
import { ModelRegistry } from '../../registry/model-registry.ts';
import { DriftReportIndex, type DriftReportEntry } from '../../reports/drift-report-index.ts';
import { driftReportView, histogramFromTables, type DriftReportView } from '../../reports/drift-report-view.ts';
import { RetrainLog } from '../../retrain-log.ts';
import { histogramChart } from '../svg/histogram-chart.ts';
import { metricsChart } from '../svg/metrics-chart.ts';
import { MODEL_NAME_PATTERN, modelParams, type ModelParams } from './schemas.ts';

interface ReportParams extends ModelParams {
  dag_id: string;
  dag_run_id: string;
}
const reportParams = {
  type: 'object',
  required: ['name', 'dag_id', 'dag_run_id'],
  properties: {
    name: { type: 'string', pattern: MODEL_NAME_PATTERN },
    dag_id: { type: 'string', pattern: ID_PATTERN },
    dag_run_id: { type: 'string', pattern: RUN_ID_PATTERN },
  },
} as const;

const entryRow = (e: DriftReportEntry) => ({
  dag_id: e.dagId,
  dag_run_id: e.runId,
  created_at: e.createdAt,
  drift: e.drift,
  columns: e.columns,
  drifted_columns: e.driftedColumns,
  artifact_uri: e.artifactUri,
});

/**
 * A model's drift reports: those the store indexes, plus those only the
 * retrain log names (reports written before the index existed).
 */
async function listReports(index: DriftReportIndex, log: RetrainLog, model: string): Promise<DriftReportEntry[]> {
  const indexed = await index.list(model);
  const known = new Set(indexed.map((e) => e.artifactUri));
  const logged = (await log.list(model))
    .filter((e) => e.trigger === 'drift' && e.artifact_uri?.includes(`/reports/${model}/`) && e.dag_run_id && !known.has(e.artifact_uri))
    .map(
      (e): DriftReportEntry => ({
        artifactUri: e.artifact_uri!,
        model,
        dagId: decodeURIComponent(e.artifact_uri!.split(`/reports/${model}/`)[1]!.split('/')[0]!),
        runId: e.dag_run_id!,
        createdAt: e.timestamp,
        drift: e.decision !== 'skip',
        columns: Number(e.metrics?.columns ?? 0),
        driftedColumns: Number(e.metrics?.drifted_columns ?? 0),
      }),
    );
  return [...indexed, ...logged].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Histograms the stored report lacks, from its data sets when they are
 * artifact URIs (immutable, readable from any host). A path is left alone: the
 * file may have changed since, and may not be on this host.
 */
async function fillHistograms(view: DriftReportView, artifacts: ArtifactStore): Promise<'stored' | 'computed' | 'missing'> {
  const missing = view.columns.filter((c) => !c.histogram);
  if (missing.length === 0) return 'stored';
  if (!view.sources || !isArtifactUri(view.sources.reference) || !isArtifactUri(view.sources.current)) return 'missing';
  try {
    const [reference, current] = await Promise.all([
      readCsvSource(view.sources.reference, artifacts),
      readCsvSource(view.sources.current, artifacts),
    ]);
    for (const c of missing) c.histogram = histogramFromTables(reference, current, c.column);
    return 'computed';
  } catch {
    return 'missing';
  }
}

/** Drift reports per model with their pictures (server-rendered SVG), and a model's metrics across versions. */
export function driftReportRoutes(app: FastifyInstance, store: MlStore, artifacts: ArtifactStore): void {
  const index = new DriftReportIndex(store);
  const log = new RetrainLog(store);
  const registry = new ModelRegistry(store);

  app.get<{ Params: ModelParams }>('/api/v1/models/:name/drift_reports', { schema: { params: modelParams } }, async (request) => {
    const reports = await listReports(index, log, request.params.name);
    return { drift_reports: reports.map(entryRow), total_entries: reports.length };
  });

  app.get<{ Params: ReportParams }>(
    '/api/v1/models/:name/drift_reports/:dag_id/:dag_run_id',
    { schema: { params: reportParams } },
    async (request) => {
      const { name, dag_id: dagId, dag_run_id: runId } = request.params;
      const entry = (await listReports(index, log, name)).find((e) => e.dagId === dagId && e.runId === runId);
      if (!entry) throw new NotFoundError(`model '${name}' has no drift report for ${dagId} ${runId}`);
      const view = driftReportView(JSON.parse((await artifacts.get(entry.artifactUri)).toString('utf8')));
      const histograms = await fillHistograms(view, artifacts);
      return {
        ...entryRow(entry),
        model: name,
        drift: view.drift,
        method: view.method,
        threshold: view.threshold,
        share: view.share,
        drifted_columns: view.drifted_columns,
        drifted_share: view.drifted_share,
        histograms,
        columns: view.columns.map((c) => ({ ...c, svg: c.histogram ? histogramChart(c.histogram, { column: c.column }) : null })),
      };
    },
  );

  app.get<{ Params: ModelParams }>('/api/v1/models/:name/metrics_chart', { schema: { params: modelParams } }, async (request, reply) => {
    const { name } = request.params;
    const [versions, history] = await Promise.all([registry.versions(name), registry.history(name)]);
    const svg = metricsChart(versions, history, { model: name });
    return reply.type('image/svg+xml').send(svg);
  });
}
