import { createHash, randomUUID } from 'node:crypto';
import type { ArtifactStore } from '../artifacts/interfaces.ts';
import { openArtifactStore } from '../artifacts/open-artifact-store.ts';
import { InvalidInputError, UpdraftError } from '../models/errors.ts';
import type { Store } from '../store/store.ts';

/**
 * Bounded XCom (Airflow's object-storage XCom backend, `XComObjectStorageBackend`):
 * a return value whose JSON reaches `UPDRAFT_XCOM_OBJECTSTORAGE_THRESHOLD`
 * bytes is written to the artifact store before the try's finish, and the
 * `xcom` row holds only a small reference to it; readers resolve it. A value
 * over `UPDRAFT_XCOM_MAX_SIZE` fails its try and is written nowhere. The store
 * itself never knows: it sees a small JSON value like any other.
 */

/** The one key of a stored reference; a task's own value of this shape is offloaded too, so it never reads back as a reference. */
const REFERENCE_KEY = '__updraft_xcom_artifact__';

export interface XComReference {
  uri: string;
  /** Bytes of the value's JSON. */
  size: number;
  sha256: string;
}

export interface XComLimits {
  /** Values whose JSON has at least this many bytes go to the artifact store; negative: none do (Airflow's -1). */
  inlineBytes: number;
  /** Values whose JSON has more bytes fail their try. */
  maxBytes: number;
}

export const DEFAULT_XCOM_LIMITS: XComLimits = { inlineBytes: 64 * 1024, maxBytes: 48 * 1024 * 1024 };

/** A return value over the configured maximum: the try fails, nothing is written. */
export class XComTooLargeError extends UpdraftError {}

/** An offloaded value that cannot be read back (its artifact is missing or corrupt). */
export class XComUnreadableError extends UpdraftError {}

function bytesSetting(name: string, fallback: number, allowNegative: boolean): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || (value < 0 && !(allowNegative && value === -1))) {
    throw new InvalidInputError(`${name} must be a whole number of bytes${allowNegative ? ' (or -1)' : ''}, got '${raw}'`);
  }
  return value;
}

/** The limits this process is configured for (read per call: cheap, and tests change them). */
export function xcomLimits(): XComLimits {
  return {
    inlineBytes: bytesSetting('UPDRAFT_XCOM_OBJECTSTORAGE_THRESHOLD', DEFAULT_XCOM_LIMITS.inlineBytes, true),
    maxBytes: bytesSetting('UPDRAFT_XCOM_MAX_SIZE', DEFAULT_XCOM_LIMITS.maxBytes, false),
  };
}

export function isXComReference(value: unknown): value is Record<typeof REFERENCE_KEY, XComReference> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, REFERENCE_KEY);
}

const referenceOf = (value: Record<typeof REFERENCE_KEY, XComReference>): XComReference => value[REFERENCE_KEY];

const stores = new Map<string, ArtifactStore>();

/**
 * The artifact store that holds the XComs of `store`'s deployment, opened on
 * first use and kept for the process (a task that returns small values never
 * opens it): UPDRAFT_ARTIFACTS_URL, else the store's own PostgreSQL database or home.
 */
export function xcomArtifactStore(store: Store): ArtifactStore {
  const identity = [
    process.env.UPDRAFT_ARTIFACTS_URL ?? '',
    store.location.url ?? process.env.UPDRAFT_DATABASE_URL ?? '',
    store.location.home ?? '',
    process.env.UPDRAFT_HOME ?? '',
  ].join('\0');
  let artifacts = stores.get(identity);
  if (!artifacts) {
    artifacts = openArtifactStore({ databaseUrl: store.location.url, home: store.location.home });
    stores.set(identity, artifacts);
  }
  return artifacts;
}

// Ids may hold characters an artifact key may not ('~', '/', a leading '-'):
// those are written as '=' and their hex code, so the key stays one per id.
function keySegment(id: string): string {
  const escaped = id.replace(/[^A-Za-z0-9_.:+@-]|^[.-]/gu, (c) => `=${c.codePointAt(0)!.toString(16)}`);
  return escaped.length <= 200 ? escaped : `=${createHash('sha256').update(id).digest('hex')}`;
}

/** Where the offloaded XComs of a run (and of one task in it) live. */
export function xcomPrefix(dagId: string, runId: string, taskId?: string): string {
  return ['xcom', keySegment(dagId), keySegment(runId), ...(taskId === undefined ? [] : [keySegment(taskId)]), ''].join('/');
}

export interface XComOwner {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
}

/** A value as the finish records it: itself, or a reference to where it was written. */
export interface BoundedXCom {
  value: unknown;
  /** The artifact written for it (to remove when the finish is not recorded). */
  offloaded: XComReference | null;
}

/**
 * Checks a return value against the limits and, when it is large, writes it
 * to the artifact store (`write: false`: checks only). Small values pass
 * through untouched: no artifact store is opened for them.
 */
export async function boundXComValue(store: Store, owner: XComOwner, value: unknown, write: boolean): Promise<BoundedXCom> {
  if (value === undefined || value === null) return { value, offloaded: null };
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) return { value, offloaded: null };
  const limits = xcomLimits();
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most values are measured without encoding them.
  const size =
    json.length * 3 < Math.min(limits.maxBytes, limits.inlineBytes < 0 ? Infinity : limits.inlineBytes)
      ? json.length
      : Buffer.byteLength(json);
  if (size > limits.maxBytes) {
    throw new XComTooLargeError(
      `task '${owner.taskId}' of DAG '${owner.dagId}' returned an XCom of ${size} bytes, over the maximum of ${limits.maxBytes} bytes (UPDRAFT_XCOM_MAX_SIZE); nothing was stored`,
    );
  }
  const large = limits.inlineBytes >= 0 && size >= limits.inlineBytes;
  if (!write || (!large && !isXComReference(value))) return { value, offloaded: null };
  const key = `${xcomPrefix(owner.dagId, owner.runId, owner.taskId)}${owner.tryNumber}.${randomUUID()}.json`;
  const info = await xcomArtifactStore(store).put(key, json);
  const reference: XComReference = { uri: info.uri, size: info.size, sha256: info.sha256 };
  return { value: { [REFERENCE_KEY]: reference }, offloaded: reference };
}

/** The value a stored XCom stands for: a reference is read from the artifact store, verified. */
export async function resolveXComValue(store: Store, value: unknown): Promise<unknown> {
  return isXComReference(value) ? JSON.parse((await readReferenced(store, value)).toString('utf8')) : value;
}

/** The JSON text of a stored XCom, without parsing an offloaded one (for answers that pass it on as it is). */
export async function xcomJson(store: Store, value: unknown): Promise<Buffer> {
  return isXComReference(value) ? readReferenced(store, value) : Buffer.from(JSON.stringify(value));
}

async function readReferenced(store: Store, value: Record<typeof REFERENCE_KEY, XComReference>): Promise<Buffer> {
  const { uri } = referenceOf(value);
  try {
    return await xcomArtifactStore(store).get(uri);
  } catch (error) {
    throw new XComUnreadableError(`cannot read the XCom stored in the artifact store (${(error as Error).message})`);
  }
}

/** A value that could not be resolved: reading it (ctx.xcom / xcomPull) throws its error. */
export class UnreadableXCom {
  constructor(readonly error: Error) {}
}

/**
 * Resolves the references among a run's values (one artifact read each); a
 * value that cannot be read becomes an {@link UnreadableXCom}, so only a task
 * that reads it fails. Small values cost nothing.
 */
export async function resolveXComValues(store: Store, values: Map<string, unknown>): Promise<Map<string, unknown>> {
  for (const [taskId, value] of values) {
    if (!isXComReference(value)) continue;
    try {
      values.set(taskId, await resolveXComValue(store, value));
    } catch (error) {
      values.set(taskId, new UnreadableXCom(new XComUnreadableError(`task '${taskId}': ${(error as Error).message}`)));
    }
  }
  return values;
}

/** Removes the offloaded XComs under a prefix (a run's, a task's); answers how many. */
export async function purgeXComArtifacts(store: Store, prefix: string): Promise<number> {
  const artifacts = xcomArtifactStore(store);
  let removed = 0;
  for (const info of await artifacts.list(prefix)) if (await artifacts.delete(info.uri)) removed++;
  return removed;
}

/** Closes the artifact stores opened for XComs (a process that ends closes them anyway; tests call this). */
export async function closeXComArtifactStores(): Promise<void> {
  const open = [...stores.values()];
  stores.clear();
  await Promise.all(open.map((artifacts) => artifacts.close()));
}
