import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { DagFileLocation } from '../store/dag-repository.ts';

/** A file's path inside `folder` (Airflow's relative_fileloc), or null when it lies outside it. */
export function relativeFileloc(folder: string, file: string): string | null {
  const inside = relative(folder, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return null;
  return inside.split(sep).join('/');
}

/** A DAG file's content hash, as the DAG processor records it (`dag.fingerprint`), from its bytes. */
export const contentFingerprint = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** {@link contentFingerprint} of a file. */
export const fileFingerprint = (file: string): string => contentFingerprint(readFileSync(file));

/**
 * The DAG's file on this host. Every host has its own copy of the DAG folder
 * (an image, git-sync, rsync), not necessarily at the path of the host that
 * parsed it, so the file is looked up inside this host's folder first, as
 * Airflow substitutes its own DAGS_FOLDER into `relative_fileloc`; the
 * recorded absolute path serves a process whose folder does not hold it.
 * Given the recorded fingerprint, a candidate with exactly that content wins
 * (this folder may hold another project's file of the same name); none does
 * while hosts are mid-deploy, and then this host's copy runs, as in Airflow.
 */
export function localDagFile(location: DagFileLocation & { fingerprint?: string }, dagsFolder: string): string {
  const candidates = [location.relativeFileloc === null ? null : join(dagsFolder, location.relativeFileloc), location.fileloc].filter(
    (file): file is string => file !== null && existsSync(file),
  );
  const same = location.fingerprint === undefined ? undefined : candidates.find((file) => fileFingerprint(file) === location.fingerprint);
  return same ?? candidates[0] ?? location.fileloc;
}
