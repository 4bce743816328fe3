import type { Db } from './db.ts';
import type { TaskInstanceKey } from './task-instance-repository.ts';

/**
 * A place in a try's log: `offset` characters (UTF-16 units) into its chunk
 * row `chunk`. Chunk rows never change once written and the log writer keeps
 * them near a megabyte, so a reader pages through a log of any length one row
 * at a time and never holds the whole log. The end of a log is a place too:
 * reading from it later returns what the try wrote since.
 */
export interface LogPosition {
  chunk: number;
  offset: number;
}

export const LOG_START: LogPosition = { chunk: 0, offset: 0 };

/** The log writer keeps each chunk row at most this long (engine/execution/task-log-buffer.ts). */
export const LOG_ROW_CHARS = 1024 * 1024;

export interface LogPage {
  content: string;
  /** Where `content` begins. */
  from: LogPosition;
  /** Right after `content`: where the next read forward starts. */
  to: LogPosition;
  /** Backward reads: whether anything lies before `from`. */
  more: boolean;
}

function ofTry(db: Db, key: TaskInstanceKey) {
  return db
    .selectFrom('task_log')
    .where('dag_id', '=', key.dagId)
    .where('run_id', '=', key.runId)
    .where('task_id', '=', key.taskId)
    .where('try_number', '=', key.tryNumber);
}

// A cut between the two halves of a surrogate pair would leave half a character on each side: cut before the pair.
const isLowSurrogate = (text: string, at: number): boolean => at > 0 && at < text.length && (text.charCodeAt(at) & 0xfc00) === 0xdc00;
const safeCut = (text: string, at: number): number => (isLowSurrogate(text, at) ? at - 1 : at);

/**
 * The log from `from` on: whole chunk rows while the page holds fewer than
 * `maxChars` characters (so paging on reads each row once; a page may end up
 * to one row longer); a longer row than the writer makes alone, cut.
 * Empty at the log's current end.
 */
export async function readLogForward(db: Db, key: TaskInstanceKey, from: LogPosition, maxChars: number): Promise<LogPage> {
  const parts: string[] = [];
  let size = 0;
  let at = from;
  while (size < maxChars) {
    const row = await ofTry(db, key)
      .select(['chunk', 'content'])
      .where('chunk', '>=', at.chunk)
      .orderBy('chunk')
      .limit(1)
      .executeTakeFirst();
    if (!row) break;
    const chunk = Number(row.chunk);
    const start = chunk === at.chunk ? Math.min(at.offset, row.content.length) : 0;
    const rest = row.content.length - start;
    // A row longer than the writer makes them (written before rows were bounded) is read on its own, a page of it at a time.
    const cutAt = Math.max(maxChars, LOG_ROW_CHARS);
    if (size > 0 && rest > cutAt) break;
    if (rest > cutAt) {
      const end = safeCut(row.content, start + cutAt);
      parts.push(row.content.slice(start, end));
      return { content: parts.join(''), from, to: { chunk, offset: end }, more: false };
    }
    parts.push(start === 0 ? row.content : row.content.slice(start));
    size += rest;
    at = { chunk: chunk + 1, offset: 0 };
  }
  return { content: parts.join(''), from, to: at, more: false };
}

/** Up to `maxChars` characters of the log that end at `before` (its current end when null). */
export async function readLogBackward(db: Db, key: TaskInstanceKey, before: LogPosition | null, maxChars: number): Promise<LogPage> {
  const parts: string[] = [];
  let to: LogPosition | null = null;
  let from: LogPosition = before ?? LOG_START;
  let bound = before;
  let budget = maxChars;
  for (;;) {
    const row = await ofTry(db, key)
      .select(['chunk', 'content'])
      .$if(bound !== null, (q) => q.where('chunk', '<=', bound!.chunk))
      .orderBy('chunk', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return { content: parts.join(''), from, to: to ?? from, more: false };
    const chunk = Number(row.chunk);
    const size = row.content.length;
    const end = bound && chunk === bound.chunk ? Math.min(bound.offset, size) : size;
    to ??= end >= size ? { chunk: chunk + 1, offset: 0 } : { chunk, offset: end };
    const start = end - budget > 0 ? safeCut(row.content, end - budget) : 0;
    parts.unshift(row.content.slice(start, end));
    budget -= end - start;
    from = { chunk, offset: start };
    if (start > 0) return { content: parts.join(''), from, to, more: true };
    if (budget <= 0) {
      const earlier = await ofTry(db, key).select('chunk').where('chunk', '<', chunk).limit(1).executeTakeFirst();
      return { content: parts.join(''), from, to, more: earlier !== undefined };
    }
    bound = { chunk: chunk - 1, offset: Number.MAX_SAFE_INTEGER };
  }
}

/**
 * The log from `from` to its end as it is when the reader gets there, a page
 * at a time: the next page is read only when the consumer asks for it, so a
 * slow client holds one page, not the log. `end` receives the final position.
 */
export async function* streamLog(
  db: Db,
  key: TaskInstanceKey,
  from: LogPosition,
  pageChars: number,
  end?: (at: LogPosition) => void,
): AsyncGenerator<string> {
  let at = from;
  for (;;) {
    const page = await readLogForward(db, key, at, pageChars);
    at = page.to;
    if (page.content === '') break;
    yield page.content;
  }
  end?.(at);
}
