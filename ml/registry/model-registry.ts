import type { Selectable } from 'kysely';
import { InvalidInputError, NotFoundError } from '../../engine/plugin-api.ts';
import type { MlDb, MlStore, ModelVersionTable, ProductionHistoryTable } from '../store/schema.ts';
import { assertModelName } from './model-name.ts';
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

// In their own module so that the registry's records (version-record.ts, train-model.ts) check names without importing the registry.
export { assertModelName, MODEL_NAME } from './model-name.ts';

const toVersion = (r: Selectable<ModelVersionTable>): ModelVersion => ({
  name: r.name,
  version: r.version,
  stage: r.stage as ModelStage,
  trackingRunId: r.tracking_run_id,
  artifactUri: r.artifact_uri,
  metrics: JSON.parse(r.metrics) as Record<string, number>,
  createdAt: r.created_at,
  record: r.record ? (JSON.parse(r.record) as ModelVersionRecord) : null,
});
const toPeriod = (r: Selectable<ProductionHistoryTable>): ProductionPeriod => ({
  version: r.version,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  reason: r.reason,
});

/**
 * Registered models, auto-numbered versions, stages, aliases and the history
 * of which version served when. Promotion is one write transaction, so there
 * is exactly one Production version at every instant, even when two
 * processes promote at once.
 */
export class ModelRegistry {
  constructor(private readonly store: MlStore) {}

  /** Registers a new version (stage None); versions count from 1 per model. `record` is pinned with it. */
  async register(
    name: string,
    artifactUri: string,
    metrics: Record<string, number>,
    trackingRunId: string | null,
    now = new Date(),
    record: ModelVersionRecord | null = null,
  ): Promise<ModelVersion> {
    assertModelName(name);
    // A path would only mean something on the host that wrote it (ADR 10, docs/adr/0010-hosts-share-only-redis-store-and-artifacts.md).
    if (!/^[a-z][a-z0-9+.-]*:/.test(artifactUri))
      throw new InvalidInputError(
        `model '${name}': '${artifactUri}' is not an artifact URI (a local path cannot be served by other hosts)`,
      );
    return this.store.write(async (tx) => {
      await tx
        .insertInto('registered_model')
        .values({ name, created_at: now.toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      await this.lockModel(tx, name);
      const last = await tx
        .selectFrom('model_version')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('name', '=', name)
        .executeTakeFirst();
      const row = {
        name,
        version: Number(last?.v ?? 0) + 1,
        stage: ModelStage.NONE,
        tracking_run_id: trackingRunId,
        artifact_uri: artifactUri,
        metrics: JSON.stringify(metrics),
        created_at: now.toISOString(),
        record: record && JSON.stringify(record),
      };
      await tx.insertInto('model_version').values(row).execute();
      return toVersion(row);
    });
  }

  /** On PostgreSQL, serializes writers of one model (SQLite's BEGIN IMMEDIATE already does). */
  private async lockModel(tx: MlDb, name: string): Promise<void> {
    if (this.store.dialect === 'postgres')
      await tx.selectFrom('registered_model').select('name').where('name', '=', name).forUpdate().execute();
  }

  /**
   * Makes `version` the Production version, archiving the previous one,
   * closing its history period and pointing the `champion` alias at it.
   */
  async promote(
    name: string,
    version: number,
    reason = 'promote',
    now = new Date(),
  ): Promise<{ previous: number | null; current: number }> {
    assertModelName(name);
    return this.store.write(async (tx) => {
      await this.lockModel(tx, name);
      const target = await tx
        .selectFrom('model_version')
        .selectAll()
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (!target) throw new NotFoundError(`model '${name}' has no version ${version}`);
      const current = await tx
        .selectFrom('model_version')
        .select('version')
        .where('name', '=', name)
        .where('stage', '=', ModelStage.PRODUCTION)
        .executeTakeFirst();
      if (current?.version === version) return { previous: version, current: version };
      const at = now.toISOString();
      await tx
        .updateTable('model_version')
        .set({ stage: ModelStage.ARCHIVED })
        .where('name', '=', name)
        .where('stage', '=', ModelStage.PRODUCTION)
        .execute();
      await tx
        .updateTable('model_version')
        .set({ stage: ModelStage.PRODUCTION })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      await tx.updateTable('production_history').set({ ended_at: at }).where('name', '=', name).where('ended_at', 'is', null).execute();
      const seq = await tx
        .selectFrom('production_history')
        .select((eb) => eb.fn.max('seq').as('s'))
        .where('name', '=', name)
        .executeTakeFirst();
      await tx
        .insertInto('production_history')
        .values({ name, seq: Number(seq?.s ?? 0) + 1, version, started_at: at, ended_at: null, reason })
        .execute();
      await tx
        .insertInto('model_alias')
        .values({ name, alias: 'champion', version })
        .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version }))
        .execute();
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
    const row = await this.store.db
      .selectFrom('model_version')
      .selectAll()
      .where('name', '=', name)
      .where('stage', '=', ModelStage.PRODUCTION)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  async version(name: string, version: number): Promise<ModelVersion> {
    const row = await this.store.db
      .selectFrom('model_version')
      .selectAll()
      .where('name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`model '${name}' has no version ${version}`);
    return toVersion(row);
  }

  async versions(name: string): Promise<ModelVersion[]> {
    await this.assertExists(name);
    return (await this.store.db.selectFrom('model_version').selectAll().where('name', '=', name).orderBy('version').execute()).map(
      toVersion,
    );
  }

  /** Which version served when, oldest first. */
  async history(name: string): Promise<ProductionPeriod[]> {
    await this.assertExists(name);
    return (await this.store.db.selectFrom('production_history').selectAll().where('name', '=', name).orderBy('seq').execute()).map(
      toPeriod,
    );
  }

  async aliases(name: string): Promise<Record<string, number>> {
    const rows = await this.store.db.selectFrom('model_alias').selectAll().where('name', '=', name).execute();
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
  }

  async list(): Promise<Array<{ name: string; latestVersion: number; productionVersion: number | null; createdAt: string }>> {
    const models = await this.store.db.selectFrom('registered_model').selectAll().orderBy('name').execute();
    const out = [];
    for (const m of models) {
      const versions = await this.store.db.selectFrom('model_version').select(['version', 'stage']).where('name', '=', m.name).execute();
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
    const row = await this.store.db.selectFrom('registered_model').select('name').where('name', '=', name).executeTakeFirst();
    if (!row) throw new NotFoundError(`no registered model '${name}'`);
  }
}
