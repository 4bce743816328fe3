import type { Selectable } from 'kysely';
import { InvalidInputError, NotFoundError } from '../../engine/models/errors.ts';
import { mlDb, type ModelVersionTable, type ProductionHistoryTable } from '../store/schema.ts';
import type { Executor, Store } from '../../engine/store/store.ts';
import type { ModelVersionRecord } from './version-record.ts';

export const ModelStage = { NONE: 'None', STAGING: 'Staging', PRODUCTION: 'Production', ARCHIVED: 'Archived' } as const;
export type ModelStage = (typeof ModelStage)[keyof typeof ModelStage];

export interface ModelVersion {
  name: string;
  version: number;
  stage: ModelStage;
  trackingRunId: string | null;
  /** The model, as an artifact-store URI (never a local path: any host may serve it). */
  artifactUri: string;
  metrics: Record<string, number>;
  createdAt: string;
  /** How this version came to be, pinned at registration (null for versions registered before records existed). */
  record: ModelVersionRecord | null;
}

export interface ProductionPeriod {
  version: number;
  startedAt: string;
  endedAt: string | null;
  reason: string;
}

export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Model names become directory names: letters, digits, `_ . -`, no path separators, no `..`. */
export function assertModelName(name: string): void {
  if (!MODEL_NAME.test(name) || name.includes('..')) {
    throw new InvalidInputError(`bad model name '${name}': use 1-100 letters, digits, '_', '.', '-' (no '/', no '..')`);
  }
}

const toVersion = (r: Selectable<ModelVersionTable>): ModelVersion => ({
  name: r.name, version: r.version, stage: r.stage as ModelStage, trackingRunId: r.tracking_run_id,
  artifactUri: r.artifact_uri, metrics: JSON.parse(r.metrics) as Record<string, number>, createdAt: r.created_at,
  record: r.record ? (JSON.parse(r.record) as ModelVersionRecord) : null,
});
const toPeriod = (r: Selectable<ProductionHistoryTable>): ProductionPeriod => ({ version: r.version, startedAt: r.started_at, endedAt: r.ended_at, reason: r.reason });

/**
 * Registered models, auto-numbered versions, stages, aliases and the history
 * of which version served when. Promotion is one write transaction, so there
 * is exactly one Production version at every instant, even when two
 * processes promote at once.
 */
export class ModelRegistry {
  constructor(private readonly store: Store) {}

  /** Registers a new version (stage None); versions count from 1 per model. `record` is pinned with it. */
  async register(name: string, artifactUri: string, metrics: Record<string, number>, trackingRunId: string | null, now = new Date(), record: ModelVersionRecord | null = null): Promise<ModelVersion> {
    assertModelName(name);
    // A path would only mean something on the host that wrote it (decision 10).
    if (!/^[a-z][a-z0-9+.-]*:/.test(artifactUri)) throw new InvalidInputError(`model '${name}': '${artifactUri}' is not an artifact URI (a local path cannot be served by other hosts)`);
    return this.store.write(async (tx) => {
      await mlDb(tx).insertInto('registered_model').values({ name, created_at: now.toISOString() }).onConflict((oc) => oc.column('name').doNothing()).execute();
      await this.lockModel(tx, name);
      const last = await mlDb(tx).selectFrom('model_version').select((eb) => eb.fn.max('version').as('v')).where('name', '=', name).executeTakeFirst();
      const row = {
        name, version: Number(last?.v ?? 0) + 1, stage: ModelStage.NONE, tracking_run_id: trackingRunId,
        artifact_uri: artifactUri, metrics: JSON.stringify(metrics), created_at: now.toISOString(), record: record && JSON.stringify(record),
      };
      await mlDb(tx).insertInto('model_version').values(row).execute();
      return toVersion(row);
    });
  }

  /** On PostgreSQL, serializes writers of one model (SQLite's BEGIN IMMEDIATE already does). */
  private async lockModel(tx: Executor, name: string): Promise<void> {
    if (this.store.dialect === 'postgres') await mlDb(tx).selectFrom('registered_model').select('name').where('name', '=', name).forUpdate().execute();
  }

  /**
   * Makes `version` the Production version, archiving the previous one,
   * closing its history period and pointing the `champion` alias at it.
   */
  async promote(name: string, version: number, reason = 'promote', now = new Date()): Promise<{ previous: number | null; current: number }> {
    assertModelName(name);
    return this.store.write(async (tx) => {
      await this.lockModel(tx, name);
      const target = await mlDb(tx).selectFrom('model_version').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
      if (!target) throw new NotFoundError(`model '${name}' has no version ${version}`);
      const current = await mlDb(tx).selectFrom('model_version').select('version').where('name', '=', name).where('stage', '=', ModelStage.PRODUCTION).executeTakeFirst();
      if (current?.version === version) return { previous: version, current: version };
      const at = now.toISOString();
      await mlDb(tx).updateTable('model_version').set({ stage: ModelStage.ARCHIVED }).where('name', '=', name).where('stage', '=', ModelStage.PRODUCTION).execute();
      await mlDb(tx).updateTable('model_version').set({ stage: ModelStage.PRODUCTION }).where('name', '=', name).where('version', '=', version).execute();
      await mlDb(tx).updateTable('production_history').set({ ended_at: at }).where('name', '=', name).where('ended_at', 'is', null).execute();
      const seq = await mlDb(tx).selectFrom('production_history').select((eb) => eb.fn.max('seq').as('s')).where('name', '=', name).executeTakeFirst();
      await mlDb(tx).insertInto('production_history').values({ name, seq: Number(seq?.s ?? 0) + 1, version, started_at: at, ended_at: null, reason }).execute();
      await mlDb(tx).insertInto('model_alias').values({ name, alias: 'champion', version })
        .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version })).execute();
      return { previous: current?.version ?? null, current: version };
    });
  }

  /** Back to the version that served before the current one, in one step. */
  async rollback(name: string, now = new Date()): Promise<{ previous: number | null; current: number }> {
    const { current, target } = await this.rollbackTarget(name);
    return this.promote(name, target, `rollback from v${current}`, now);
  }

  /** The version a rollback would promote, and the one serving now. */
  async rollbackTarget(name: string): Promise<{ current: number; target: number }> {
    const history = await this.history(name);
    const current = history.at(-1);
    const before = [...history].reverse().find((p) => p.version !== current?.version);
    if (!current || !before) throw new NotFoundError(`model '${name}' has no earlier production version to roll back to`);
    return { current: current.version, target: before.version };
  }

  async production(name: string): Promise<ModelVersion | undefined> {
    const row = await mlDb(this.store.db).selectFrom('model_version').selectAll().where('name', '=', name).where('stage', '=', ModelStage.PRODUCTION).executeTakeFirst();
    return row && toVersion(row);
  }

  async version(name: string, version: number): Promise<ModelVersion> {
    const row = await mlDb(this.store.db).selectFrom('model_version').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
    if (!row) throw new NotFoundError(`model '${name}' has no version ${version}`);
    return toVersion(row);
  }

  async versions(name: string): Promise<ModelVersion[]> {
    await this.assertExists(name);
    return (await mlDb(this.store.db).selectFrom('model_version').selectAll().where('name', '=', name).orderBy('version').execute()).map(toVersion);
  }

  /** Which version served when, oldest first. */
  async history(name: string): Promise<ProductionPeriod[]> {
    await this.assertExists(name);
    return (await mlDb(this.store.db).selectFrom('production_history').selectAll().where('name', '=', name).orderBy('seq').execute()).map(toPeriod);
  }

  async aliases(name: string): Promise<Record<string, number>> {
    const rows = await mlDb(this.store.db).selectFrom('model_alias').selectAll().where('name', '=', name).execute();
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
  }

  async list(): Promise<Array<{ name: string; latestVersion: number; productionVersion: number | null; createdAt: string }>> {
    const models = await mlDb(this.store.db).selectFrom('registered_model').selectAll().orderBy('name').execute();
    const out = [];
    for (const m of models) {
      const versions = await mlDb(this.store.db).selectFrom('model_version').select(['version', 'stage']).where('name', '=', m.name).execute();
      out.push({
        name: m.name,
        latestVersion: Math.max(0, ...versions.map((v) => v.version)),
        productionVersion: versions.find((v) => v.stage === ModelStage.PRODUCTION)?.version ?? null,
        createdAt: m.created_at,
      });
    }
    return out;
  }

  private async assertExists(name: string): Promise<void> {
    assertModelName(name);
    const row = await mlDb(this.store.db).selectFrom('registered_model').select('name').where('name', '=', name).executeTakeFirst();
    if (!row) throw new NotFoundError(`no registered model '${name}'`);
  }
}
