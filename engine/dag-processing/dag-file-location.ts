import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { DagFileLocation } from '../store/dag-repository.ts';

/** A file's path inside `folder` (Airflow's relative_fileloc), or null when it lies outside it. */
export function relativeFileloc(folder: string, file: string): string | null {
  const inside = relative(folder, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return null;
  return inside.split(sep).join('/');
}

/**
 * The DAG's file on this host. Every host has its own copy of the DAG folder
 * (an image, git-sync, rsync), not necessarily at the path of the host that
 * parsed it, so the file is looked up inside this host's folder first, as
 * Airflow substitutes its own DAGS_FOLDER into `relative_fileloc`. The
 * recorded absolute path serves a process whose folder does not hold the
 * file (one host, a worker started with another folder setting).
 */
export function localDagFile(location: DagFileLocation, dagsFolder: string): string {
  if (location.relativeFileloc !== null) {
    const local = join(dagsFolder, location.relativeFileloc);
    if (existsSync(local)) return local;
  }
  return location.fileloc;
}
