import { InvalidInputError } from '../models/errors.ts';
import { fileFingerprint } from './dag-file-location.ts';
import { localImports } from './local-imports.ts';
import type { FileParse } from './parse-pool.ts';

/** One file's last import: what it gave and what it depended on. */
export interface CachedFileParse {
  fingerprint: string;
  /** Each local module the file imports (see local-imports.ts), with its fingerprint at the import. */
  modules: Map<string, string>;
  result: FileParse;
  /** Wall time the import took (`dags report`). */
  durationMs: number;
  importedAt: number;
}

/** `UPDRAFT_DAG_FILE_REFRESH_INTERVAL` in milliseconds; `Infinity` (the default, 0 or unset) re-imports an unchanged file never. */
export function fileRefreshIntervalMs(): number {
  const raw = process.env.UPDRAFT_DAG_FILE_REFRESH_INTERVAL;
  if (raw === undefined || raw.trim() === '' || raw.trim() === '0') return Number.POSITIVE_INFINITY;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new InvalidInputError(`UPDRAFT_DAG_FILE_REFRESH_INTERVAL must be a number of seconds (0: only on change); got '${raw}'`);
  return seconds * 1000;
}

/** A fingerprint, or null for a file that is gone (a deleted helper counts as a change). */
function fingerprintOrNull(file: string): string | null {
  try {
    return fileFingerprint(file);
  } catch {
    return null;
  }
}

/**
 * What the DAG processor remembers between parses of a folder: a file whose
 * content and whose local modules' contents are unchanged gives its last
 * result again without an import (a hash of a few files, well under a
 * millisecond, instead of an import in a thread). A change to a helper module
 * re-imports every file that imports it.
 */
export class DagFileParseCache {
  private readonly entries = new Map<string, CachedFileParse>();
  /** Every local module some import used, with the fingerprint it had then: a thread may hold that version. */
  private readonly moduleVersions = new Map<string, string>();

  constructor(
    private readonly refreshAfterMs: number = fileRefreshIntervalMs(),
    private readonly now: () => number = Date.now,
  ) {}

  /** The last result of `file` when neither it nor a module it imports changed (and it is not due for a refresh). */
  unchanged(file: string, fingerprint: string): CachedFileParse | undefined {
    const entry = this.entries.get(file);
    if (!entry || entry.fingerprint !== fingerprint) return undefined;
    if (this.now() - entry.importedAt >= this.refreshAfterMs) return undefined;
    for (const [module, known] of entry.modules) if (fingerprintOrNull(module) !== known) return undefined;
    return entry;
  }

  /**
   * True (once) when a module some earlier import used has changed since:
   * parse threads cache imported modules, so the caller retires them before
   * the next import, or a file would be built from the old helper.
   */
  takeModuleChange(): boolean {
    for (const [module, known] of this.moduleVersions) {
      if (fingerprintOrNull(module) === known) continue;
      this.moduleVersions.clear();
      return true;
    }
    return false;
  }

  /** Records an import of `file` just made (its local modules are read now: what the import just saw). */
  record(file: string, fingerprint: string, result: FileParse, durationMs: number): CachedFileParse {
    const modules = new Map<string, string>();
    for (const module of localImports(file)) {
      const version = fingerprintOrNull(module);
      if (version === null) continue;
      modules.set(module, version);
      this.moduleVersions.set(module, version);
    }
    const entry = { fingerprint, modules, result, durationMs, importedAt: this.now() };
    this.entries.set(file, entry);
    return entry;
  }

  /** Forgets a file's last result: it is imported on the next parse. */
  forget(file: string): void {
    this.entries.delete(file);
  }

  /** Forgets files no longer in the folder. */
  keepOnly(files: ReadonlySet<string>): void {
    for (const file of this.entries.keys()) if (!files.has(file)) this.entries.delete(file);
  }
}
