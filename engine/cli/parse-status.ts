import type { DagFolderParseRecord } from '../store/dag-folder-parse-repository.ts';

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago": enough to tell a live scheduler's parse from a stale one. */
export function ago(then: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - new Date(then).getTime()) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/**
 * One line about a folder parse, for stderr under `dags list` (stdout stays the table), e.g.
 * `DAG folder dags last parsed 2026-01-05T10:00:00.000Z (12 s ago) by scheduler on host-1 in 0.8 s: 3 DAG(s), 1 import error(s)`.
 */
export function parseStatusLine(folderName: string, parse: DagFolderParseRecord, now: Date): string {
  return (
    `DAG folder ${folderName} last parsed ${parse.parsedAt} (${ago(parse.parsedAt, now)}) by ${parse.parsedBy} on ${parse.hostname}` +
    ` in ${(parse.durationMs / 1000).toFixed(1)} s: ${parse.dagCount} DAG(s), ${parse.importErrorCount} import error(s)`
  );
}

/** The same, as JSON fields (snake_case like every CLI JSON key). */
export const parseStatusJson = (parse: DagFolderParseRecord): Record<string, unknown> => ({
  folder: parse.folder,
  parsed_at: parse.parsedAt,
  parsed_by: parse.parsedBy,
  hostname: parse.hostname,
  duration_ms: Math.round(parse.durationMs),
  dag_count: parse.dagCount,
  import_error_count: parse.importErrorCount,
});
