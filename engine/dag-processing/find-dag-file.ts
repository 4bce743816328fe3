import { readFileSync } from 'node:fs';
import { listDagFiles } from './dag-folder.ts';

/**
 * The DAG files under `folder` whose text contains `dagId`: where a DAG the
 * store does not know yet may be defined, found by reading (milliseconds for
 * thousands of files) instead of importing. A DAG whose id is computed at
 * import is not found this way; the caller falls back to a full parse.
 */
export function filesNaming(folder: string, dagId: string): string[] {
  return listDagFiles(folder).filter((file) => {
    try {
      return readFileSync(file, 'utf8').includes(dagId);
    } catch {
      return false;
    }
  });
}
