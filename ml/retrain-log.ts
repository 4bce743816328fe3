import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { updraftHome } from '../engine/store/database.ts';

export type RetrainTrigger = 'drift' | 'performance' | 'estimated_performance' | 'schedule' | 'manual';

/** One line of the retrain log: a trigger evaluation or a retrain attempt. */
export interface RetrainLogEntry {
  timestamp: string;
  model: string;
  trigger: RetrainTrigger;
  /** e.g. retrain, skip, promoted, rejected, failed */
  decision: string;
  success: boolean;
  metrics: Record<string, number> | null;
  error: string | null;
  dag_run_id?: string;
  version?: number;
  reason?: string;
  /** The artifact this line is about: the drift report of a drift evaluation, the deployed model of a promotion. */
  artifact_uri?: string;
}

export const retrainLogPath = (): string => join(updraftHome(), 'retrain-log.jsonl');

/** Appends one JSON line (a single write of a whole line: concurrent appenders do not interleave). */
export function appendRetrainLog(entry: Omit<RetrainLogEntry, 'timestamp'> & { timestamp?: string }): void {
  const path = retrainLogPath();
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify({ timestamp: new Date().toISOString(), ...entry })}\n`);
}

export function readRetrainLog(model?: string): RetrainLogEntry[] {
  const path = retrainLogPath();
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as RetrainLogEntry)
    .filter((e) => !model || e.model === model);
}
