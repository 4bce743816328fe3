import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { InvalidInputError, NotFoundError } from '../../models/errors.ts';
import type { TaskInstanceKey } from '../../models/task-instance-key.ts';
import type { Store } from '../../store/store.ts';
import { LOG_START, readLogBackward, readLogForward, streamLog, type LogPosition } from '../../store/task-log-pages.ts';
import { decodeLogToken, encodeLogToken } from '../log-token.ts';
import { findRun } from './dag-runs.ts';
import { logParams, type LogParams } from './schemas.ts';

/**
 * An answer without `full_content` holds whole chunk rows up to this many
 * characters (plus at most one row, about a megabyte): a client pages on with the token.
 */
export const LOG_PAGE_CHARS = 512 * 1024;
/** `full_content` is sent a chunk row at a time, each read from the store only when the client has taken the last. */
const STREAM_PAGE_CHARS = 256 * 1024;
/** What a streamed answer buffers before it waits for the client. */
const STREAM_HIGH_WATER_BYTES = 64 * 1024;

interface LogQuery {
  full_content?: boolean;
  map_index?: number;
  token?: string;
  tail?: number;
}

/**
 * Airflow's getLog, paged end to end so the webserver never holds a whole
 * log: without `full_content` one page (about {@link LOG_PAGE_CHARS}
 * characters) and a `continuation_token` to read on from (also where to poll
 * a running try for new lines); with `full_content` the rest of the log,
 * streamed. `Accept: text/plain` gets the text alone (a page's token in the
 * `X-Continuation-Token` header). Updraft's `tail=N`: the N characters before
 * the token's place (before the end without one), and an `earlier_token` to
 * page backwards from, null at the log's start; the UI tails long logs so.
 */
export function taskLogRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Params: LogParams; Querystring: LogQuery }>(
    '/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/logs/:try_number',
    {
      schema: {
        params: logParams,
        querystring: {
          type: 'object',
          properties: {
            full_content: { type: 'boolean', default: false },
            map_index: { type: 'integer', minimum: -1 },
            token: { type: 'string', maxLength: 512 },
            tail: { type: 'integer', minimum: 1, maximum: LOG_PAGE_CHARS },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { dag_id: dagId, dag_run_id: runId, task_id: taskId, try_number: tryNumber } = request.params;
      const { full_content: fullContent, map_index: mapIndex, token, tail } = request.query;
      await assertTryExists(store, request.params);
      if (mapIndex !== undefined && mapIndex !== -1)
        throw new NotFoundError(`task '${taskId}' of run '${runId}' is not mapped: it has no map index ${mapIndex}`);
      if (tail !== undefined && fullContent)
        throw new InvalidInputError('tail and full_content exclude each other: tail reads one page backwards');
      const key: TaskInstanceKey = { dagId, runId, taskId, tryNumber };
      const secret = store.deploymentId;
      const at = token ? decodeLogToken(secret, key, token) : null;
      const plain = request.headers.accept?.startsWith('text/plain') === true;
      const identity = { dag_id: dagId, dag_run_id: runId, task_id: taskId, try_number: tryNumber };

      if (fullContent) return sendStreamed(reply, store, key, at ?? LOG_START, plain, identity);
      const page =
        tail !== undefined
          ? await readLogBackward(store.db, key, at, tail)
          : await readLogForward(store.db, key, at ?? LOG_START, LOG_PAGE_CHARS);
      const continuationToken = encodeLogToken(secret, key, page.to);
      if (plain) return reply.type('text/plain; charset=utf-8').header('x-continuation-token', continuationToken).send(page.content);
      return {
        ...identity,
        content: page.content,
        continuation_token: continuationToken,
        ...(tail !== undefined ? { earlier_token: page.more ? encodeLogToken(secret, key, page.from) : null } : {}),
      };
    },
  );
}

async function assertTryExists(store: Store, params: LogParams): Promise<void> {
  const { run } = await findRun(store, params.dag_id, params.dag_run_id);
  const tries = (await store.tasks.allTries(run.dagId, run.runId)).filter((t) => t.taskId === params.task_id);
  if (tries.length === 0) throw new NotFoundError(`run '${run.runId}' of DAG '${run.dagId}' has no task '${params.task_id}'`);
  if (!tries.some((t) => t.tryNumber === params.try_number))
    throw new NotFoundError(`task '${params.task_id}' of run '${run.runId}' has no try ${params.try_number}`);
}

/** The log from `from` to its end, a page at a time as the client takes it: as text, or as the JSON answer with the token last. */
function sendStreamed(
  reply: FastifyReply,
  store: Store,
  key: TaskInstanceKey,
  from: LogPosition,
  plain: boolean,
  identity: Record<string, string | number>,
): FastifyReply {
  const options = { objectMode: false, highWaterMark: STREAM_HIGH_WATER_BYTES };
  if (plain) return reply.type('text/plain; charset=utf-8').send(Readable.from(streamLog(store.db, key, from, STREAM_PAGE_CHARS), options));
  async function* json(): AsyncGenerator<string> {
    let end = from;
    yield `${JSON.stringify(identity).slice(0, -1)},"content":"`;
    // Each page is a JSON string without its quotes: the pages join into one string value.
    for await (const page of streamLog(store.db, key, from, STREAM_PAGE_CHARS, (at) => (end = at))) yield JSON.stringify(page).slice(1, -1);
    yield `","continuation_token":${JSON.stringify(encodeLogToken(store.deploymentId, key, end))}}`;
  }
  return reply.type('application/json; charset=utf-8').send(Readable.from(json(), options));
}
