import { readFileSync, renameSync } from 'node:fs';
import type { Insertable, Selectable } from 'kysely';
import { join } from 'node:path';
import { updraftHome } from '../engine/plugin-api.ts';
import type { MlStore, RetrainLogTable } from './store/schema.ts';

/** What started a retrain: `estimated_performance` is the label-free accuracy estimate (ml/monitoring). */
export type RetrainTrigger = 'drift' | 'performance' | 'estimated_performance' | 'schedule' | 'manual';

/** A trigger merged into one retrain by the coalescer (ml/pipeline/retrain-coalescer.ts). */
export interface MergedTrigger {
  kind: RetrainTrigger;
  detail: string;
  /** ISO time it fired. */
  time: string;
  dag_id: string;
  run_id: string;
}

/** One line of the retrain log: a trigger evaluation or a retrain attempt. */
export interface RetrainLogEntry {
  timestamp: string;
  model: string;
  trigger: RetrainTrigger;
  /** fire, skip (a trigger's evaluation), retrain (fired and claimed), merged (fired within another retrain's cooldown), promoted, rejected, failed */
  decision: string;
  success: boolean;
  metrics: Record<string, number> | null;
  error: string | null;
  dag_run_id?: string;
  version?: number;
  reason?: string;
  /** The artifact this line is about: the drift report of a drift evaluation, the deployed model of a promotion. */
  artifact_uri?: string;
  /** On the outcome of a retrain (promoted, rejected, failed): every trigger coalesced into it, the claiming one first. */
  merged_triggers?: MergedTrigger[];
}

type NewEntry = Omit<RetrainLogEntry, 'timestamp'> & { timestamp?: string };

const toRow = (e: NewEntry): Insertable<RetrainLogTable> => ({
  timestamp: e.timestamp ?? new Date().toISOString(),
  model: e.model,
  trigger: e.trigger,
  decision: e.decision,
  success: e.success ? 1 : 0,
  metrics: e.metrics === null ? null : JSON.stringify(e.metrics),
  error: e.error,
  dag_run_id: e.dag_run_id ?? null,
  version: e.version ?? null,
  reason: e.reason ?? null,
  artifact_uri: e.artifact_uri ?? null,
  merged_triggers: e.merged_triggers ? JSON.stringify(e.merged_triggers) : null,
});

/** The entry as the JSON lines of the old file had it: optional fields absent, not null. */
function fromRow(r: Selectable<RetrainLogTable>): RetrainLogEntry {
  const entry: RetrainLogEntry = {
    timestamp: r.timestamp,
    model: r.model,
    trigger: r.trigger as RetrainTrigger,
    decision: r.decision,
    success: Number(r.success) === 1,
    metrics: r.metrics === null ? null : (JSON.parse(r.metrics) as Record<string, number>),
    error: r.error,
  };
  if (r.dag_run_id !== null) entry.dag_run_id = r.dag_run_id;
  if (r.version !== null) entry.version = Number(r.version);
  if (r.reason !== null) entry.reason = r.reason;
  if (r.artifact_uri !== null) entry.artifact_uri = r.artifact_uri;
  if (r.merged_triggers !== null) entry.merged_triggers = JSON.parse(r.merged_triggers) as MergedTrigger[];
  return entry;
}

/** The per-host file of versions before migration 020: imported into the store once, then renamed `.imported`. */
const legacyRetrainLogPath = (): string => join(updraftHome(), 'retrain-log.jsonl');
const imported = new Map<string, Promise<void>>();

/**
 * Every trigger evaluation and retrain attempt of every model, from every
 * host: a table of the store (ADR 10, docs/adr/0010-hosts-share-only-redis-store-and-artifacts.md), read by
 * `updraft retrain-log`, the demo and the web UI.
 */
export class RetrainLog {
  constructor(private readonly store: MlStore) {}

  async append(entry: NewEntry): Promise<void> {
    await this.importLegacyFile();
    await this.store.db.insertInto('retrain_log').values(toRow(entry)).execute();
  }

  /** The log in the order it was written, or one model's lines. */
  async list(model?: string): Promise<RetrainLogEntry[]> {
    await this.importLegacyFile();
    let query = this.store.db.selectFrom('retrain_log').selectAll().orderBy('id');
    if (model) query = query.where('model', '=', model);
    return (await query.execute()).map(fromRow);
  }

  /**
   * This host's file from before the log moved into the store, once: claimed
   * by a rename (of processes importing at once, one wins), written in one
   * transaction, then kept as `retrain-log.jsonl.imported`.
   */
  private importLegacyFile(): Promise<void> {
    const path = legacyRetrainLogPath();
    let done = imported.get(path);
    if (!done) {
      done = this.importFile(path).catch((error: unknown) => {
        imported.delete(path);
        throw error;
      });
      imported.set(path, done);
    }
    return done;
  }

  private async importFile(path: string): Promise<void> {
    const claimed = `${path}.importing-${process.pid}`;
    try {
      renameSync(path, claimed);
    } catch {
      return; // no file, or another process took it
    }
    try {
      // A torn line (a process killed mid-append) is left out.
      const rows = readFileSync(claimed, 'utf8')
        .split('\n')
        .flatMap((line) => {
          try {
            return line ? [toRow(JSON.parse(line) as RetrainLogEntry)] : [];
          } catch {
            return [];
          }
        });
      await this.store.atomically(async (tx) => {
        for (let i = 0; i < rows.length; i += 200)
          await tx.db
            .insertInto('retrain_log')
            .values(rows.slice(i, i + 200))
            .execute();
      });
    } catch (error) {
      renameSync(claimed, path);
      throw error;
    }
    renameSync(claimed, `${path}.imported`);
  }
}
