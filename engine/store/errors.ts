import { UpdraftError } from '../models/errors.ts';

/** SQLite's answers for a file that is not (or no longer) a readable database. */
const CORRUPT_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

/** Whether a driver error says the SQLite file itself is damaged (a retry or a migration cannot help). */
export const isCorruptionError = (error: unknown): boolean => CORRUPT_CODES.test(String((error as { code?: unknown } | null)?.code ?? ''));

/**
 * The SQLite store file is damaged (a torn page, a file that is not a
 * database): every process that opens it says so in one line, naming the
 * file and how to recover, instead of a driver stack.
 */
export class StoreCorruptError extends UpdraftError {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const code = String((cause as { code?: unknown } | null)?.code ?? 'SQLITE_CORRUPT');
    super(
      `store ${file} is corrupt (${code}: ${(cause as Error).message}): restore a backup or move it aside (a new, empty store is made in its place); \`sqlite3 ${file} .recover | sqlite3 recovered.db\` salvages what it can`,
    );
  }
}
