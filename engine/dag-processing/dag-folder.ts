import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultDagsFolder } from '../config/updraft-home.ts';
import type { DagSpec } from '../models/dag-spec.ts';
import { availableParallelism } from 'node:os';
import { DagParsePool, type FileParse } from './parse-pool.ts';
import { fileFingerprint } from './dag-file-location.ts';
import type { DagFileParseCache } from './file-parse-cache.ts';

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

/** One file's part of a parse, for `dags report`. */
export interface FileParseStat {
  file: string;
  /** Wall time of its last import (this parse's, or the one whose result was reused). */
  durationMs: number;
  dagIds: string[];
  error: string | null;
  /** False when the file and its local modules were unchanged and its last result was reused. */
  imported: boolean;
}

export interface DagFolderParse {
  folder: string;
  files: ParsedDagFile[];
  importErrors: ImportError[];
  /** Every good DAG, by id. */
  dags: Map<string, { spec: DagSpec; file: string; fingerprint: string }>;
  /** Every file looked at, in folder order. */
  fileStats: FileParseStat[];
  /** Wall time of the whole parse. */
  durationMs: number;
}

export interface ParseOptions {
  /** A file still importing after this is an import error. @defaultValue `$UPDRAFT_DAG_IMPORT_TIMEOUT` seconds, else 30 s */
  timeoutMs?: number;
  /** Files parsed at once. @defaultValue 4, at most the machine's cores */
  concurrency?: number;
  /** Threads kept from one parse to the next (the scheduler's). @defaultValue threads of this parse only, each serving many files, ended after it */
  pool?: DagParsePool;
  /** Results kept from one parse to the next: an unchanged file is not imported again (the scheduler's). @defaultValue none: every file is imported */
  cache?: DagFileParseCache;
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
  const files = listDagFiles(folder);
  options.cache?.keepOnly(new Set(files));
  return parseDagFiles(folder, files, options);
}

/**
 * {@link parseDagFolder} of some of the folder's files only (a command that
 * needs one DAG parses the files that may define it): duplicates are found
 * among these files only.
 */
export async function parseDagFiles(folder: string, files: readonly string[], options: ParseOptions = {}): Promise<DagFolderParse> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? Number(process.env.UPDRAFT_DAG_IMPORT_TIMEOUT ?? 30) * 1000;
  const { cache } = options;
  // A thread starts the TypeScript loader and the engine (about half a second of CPU) before its first
  // file and then imports a small file in a few milliseconds: threads serve many files, not one each.
  const pool = options.pool ?? new DagParsePool();
  if (options.pool && cache?.takeModuleChange()) pool.retire();
  const fingerprints = files.map((file) => fileFingerprint(file));
  const results: FileParse[] = new Array(files.length);
  const stats: FileParseStat[] = new Array(files.length);
  const toImport: number[] = [];
  files.forEach((file, i) => {
    const known = cache?.unchanged(file, fingerprints[i]!);
    if (!known) {
      toImport.push(i);
      return;
    }
    results[i] = known.result;
    stats[i] = statOf(file, known.result, known.durationMs, false);
  });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < toImport.length) {
      const i = toImport[next++]!;
      const file = files[i]!;
      const { result, durationMs, settled } = await pool.parseTimed(file, fingerprints[i]!, timeoutMs);
      // A timeout or a thread that died may not happen again (a loaded machine, a server down at import): imported again next time.
      if (settled) cache?.record(file, fingerprints[i]!, result, durationMs);
      else cache?.forget(file);
      results[i] = result;
      stats[i] = statOf(file, result, durationMs, true);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? Math.min(4, availableParallelism()), toImport.length) }, lane));
  } finally {
    if (!options.pool) await pool.close();
  }

  const parse: DagFolderParse = { folder, files: [], importErrors: [], dags: new Map(), fileStats: stats, durationMs: 0 };
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
      const others = definedIn
        .get(duplicate.dagId)!
        .filter((f) => f !== file)
        .map((f) => relative(folder, f));
      const message = `DAG id '${duplicate.dagId}' is also defined in ${others.join(', ')}: a DAG id must be unique; neither file is loaded`;
      parse.importErrors.push({ filename: file, message });
      stats[i] = { ...stats[i]!, error: message };
      return;
    }
    const fingerprint = fingerprints[i]!;
    parse.files.push({ file, fingerprint, dags: result });
    for (const spec of result) parse.dags.set(spec.dagId, { spec, file, fingerprint });
  });
  parse.durationMs = performance.now() - started;
  return parse;
}

function statOf(file: string, result: FileParse, durationMs: number, imported: boolean): FileParseStat {
  return typeof result === 'string'
    ? { file, durationMs, dagIds: [], error: result, imported }
    : { file, durationMs, dagIds: result.map((spec) => spec.dagId), error: null, imported };
}
