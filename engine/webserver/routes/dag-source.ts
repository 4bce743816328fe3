import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../models/errors.ts';
import type { Store } from '../../store/store.ts';
import { contentFingerprint, localDagFile } from '../../dag-processing/dag-file-location.ts';
import { findDag } from './dags.ts';
import { dagParams, type DagParams } from './schemas.ts';

/** The source is shown, never run: reading text does not import the file (ADR 12 holds: docs/adr/0012-readers-read-the-store.md). */
async function readSource(file: string): Promise<{ content: string | null; fingerprint: string | null }> {
  try {
    const bytes = await readFile(file);
    // The same fingerprint the DAG processor records.
    return { content: bytes.toString('utf8'), fingerprint: contentFingerprint(bytes) };
  } catch {
    return { content: null, fingerprint: null };
  }
}

/** The line an import error points at: esbuild's `file:L:C` or the parse thread's `(at line L)`. */
export function failingLine(filename: string, message: string): number | null {
  const at =
    /\(at line (\d+)\)/.exec(message)?.[1] ?? new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(message)?.[1];
  return at === undefined ? null : Number(at);
}

/** Airflow's "Code" tab: a DAG file's source with the fingerprint and time of the parse the scheduler last recorded. */
export function dagSourceRoutes(app: FastifyInstance, store: Store, dagsFolder: string): void {
  app.get<{ Params: DagParams }>('/api/v1/dags/:dag_id/source', { schema: { params: dagParams } }, async (request) => {
    const dag = await findDag(store, request.params.dag_id);
    const { content, fingerprint } = await readSource(localDagFile(dag, dagsFolder));
    return {
      dag_id: dag.dagId,
      fileloc: dag.fileloc,
      fingerprint: dag.fingerprint,
      last_parsed_at: dag.lastParsedAt,
      content,
      // The file on disk is what the scheduler will parse next; say when it is not what it parsed last.
      changed_since_parse: fingerprint !== null && fingerprint !== dag.fingerprint,
    };
  });

  /** The source of a file that failed to import, with the failing line when the error names one. Only files with an import error are served. */
  app.get<{ Querystring: { filename: string } }>(
    '/api/v1/importErrors/source',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['filename'],
          properties: { filename: { type: 'string', maxLength: 4096 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const error = (await store.importErrors.list()).find((e) => e.filename === request.query.filename);
      if (!error) throw new NotFoundError(`no import error for file '${request.query.filename}'`);
      const { content, fingerprint } = await readSource(error.filename);
      return {
        filename: error.filename,
        stack_trace: error.message,
        timestamp: error.timestamp,
        line: failingLine(error.filename, error.message),
        content,
        fingerprint,
      };
    },
  );
}
