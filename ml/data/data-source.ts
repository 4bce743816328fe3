import { existsSync, readFileSync } from 'node:fs';
import type { ArtifactStore } from '../../engine/plugin-api.ts';
import { DataValidationError } from '../errors.ts';
import { CsvTable } from './csv-table.ts';

/** An artifact-store URI (`file://...`, `postgres-artifact:///...`) rather than a path on this host. */
export const isArtifactUri = (source: string): boolean => /^(file|postgres-artifact):/.test(source);

/**
 * The bytes of a data set given as an artifact URI (read and verified through
 * the artifact store: any host can) or as a path on this host (a user's input).
 */
export async function readSource(source: string, artifacts: ArtifactStore): Promise<Buffer> {
  if (isArtifactUri(source)) return artifacts.get(source);
  if (!existsSync(source)) throw new DataValidationError(`${source}: no such file`);
  return readFileSync(source);
}

export async function readCsvSource(source: string, artifacts: ArtifactStore): Promise<CsvTable> {
  return CsvTable.parse((await readSource(source, artifacts)).toString('utf8'), source);
}
