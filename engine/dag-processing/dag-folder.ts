import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultDagsFolder } from '../config/updraft-home.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { DagParsePool } from './parse-pool.ts';
import { fileFingerprint } from './dag-file-location.ts';

const DAG_FILE = /\.(m?ts|m?js)$/;

export interface ParsedDagFile {
  file: string;
  fingerprint: string;
  dags: DagSpec[];
}

export interface ImportError {
  filename: string;
  message: string;
}

export interface DagFolderParse {
  folder: string;
  files: ParsedDagFile[];
  importErrors: ImportError[];
  /** Every good DAG, by id. */
  dags: Map<string, { spec: DagSpec; file: string; fingerprint: string }>;
  /** Wall time of the whole parse. */
  durationMs: number;
}

export interface ParseOptions {
  /** A file still importing after this is an import error. @defaultValue `$UPDRAFT_DAG_IMPORT_TIMEOUT` seconds, else 30 s */
  timeoutMs?: number;
  /** Files parsed at once. @defaultValue 4 */
  concurrency?: number;
  /** Threads kept from one parse to the next (the scheduler's). @defaultValue a thread per file, ended after it */
  pool?: DagParsePool;
}

/** The DAG folder: `folder`, else as engine/config/updraft-home.ts finds it. */
export const dagsFolder = (folder?: string): string => defaultDagsFolder(folder);

/** DAG files under `folder`: .ts/.mts/.js/.mjs, skipping node_modules and names starting with `.` or `_`. */
export function listDagFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name.startsWith('_') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (DAG_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  walk(folder);
  return files;
}


/**
 * Parses every DAG file in isolation (Airflow's DagBag): a file with a syntax
 * error, a throw at import, an invalid DAG or a hang becomes an import error,
 * and every other file's DAGs still load. A DAG id defined by two files makes
 * both import errors (each naming the other).
 */
export async function parseDagFolder(folder: string, options: ParseOptions = {}): Promise<DagFolderParse> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? Number(process.env.UPDRAFT_DAG_IMPORT_TIMEOUT ?? 30) * 1000;
  const files = listDagFiles(folder);
  const pool = options.pool ?? new DagParsePool({ maxImportsPerThread: 1 });
  const results: Array<DagSpec[] | string> = new Array(files.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      results[i] = await pool.parse(file, fileFingerprint(file), timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, files.length) }, lane));

  const parse: DagFolderParse = { folder, files: [], importErrors: [], dags: new Map(), durationMs: 0 };
  // A DAG id defined by two files (Airflow's AirflowDagDuplicatedIdException): every such file is
  // an import error naming the others, so neither replaces the DAG; its last good version stays.
  const definedIn = new Map<string, string[]>();
  files.forEach((file, i) => {
    const result = results[i]!;
    if (typeof result !== 'string') for (const spec of result) definedIn.set(spec.dagId, [...(definedIn.get(spec.dagId) ?? []), file]);
  });
  files.forEach((file, i) => {
    const result = results[i]!;
    if (typeof result === 'string') {
      parse.importErrors.push({ filename: file, message: result });
      return;
    }
    const duplicate = result.find((spec) => definedIn.get(spec.dagId)!.length > 1);
    if (duplicate) {
      const others = definedIn.get(duplicate.dagId)!.filter((f) => f !== file).map((f) => relative(folder, f));
      parse.importErrors.push({ filename: file, message: `DAG id '${duplicate.dagId}' is also defined in ${others.join(', ')}: a DAG id must be unique; neither file is loaded` });
      return;
    }
    const fingerprint = fileFingerprint(file);
    parse.files.push({ file, fingerprint, dags: result });
    for (const spec of result) parse.dags.set(spec.dagId, { spec, file, fingerprint });
  });
  parse.durationMs = performance.now() - started;
  return parse;
}
