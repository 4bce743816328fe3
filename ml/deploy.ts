import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { updraftHome } from '../engine/store/database.ts';
import { assertModelName, type ModelVersion } from './registry/model-registry.ts';

export const servingDir = (model: string): string => {
  assertModelName(model);
  return join(updraftHome(), 'serving', model);
};

/**
 * Writes the production model to `$UPDRAFT_HOME/serving/<model>/`: each file is
 * written to a temporary name in the same directory and renamed into place,
 * so a reader sees the old file or the new one, never half of one.
 */
export function deployModel(version: ModelVersion): string {
  const dir = servingDir(version.name);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.model.json.${process.pid}.tmp`);
  copyFileSync(version.artifactPath, tmp);
  renameSync(tmp, join(dir, 'model.json'));
  const meta = join(dir, `.version.json.${process.pid}.tmp`);
  writeFileSync(meta, `${JSON.stringify({ name: version.name, version: version.version, metrics: version.metrics, deployed_at: new Date().toISOString() }, null, 2)}\n`);
  renameSync(meta, join(dir, 'version.json'));
  return dir;
}
