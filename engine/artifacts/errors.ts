import { UpdraftError } from '../models/errors.ts';

/** No artifact at that URI. The message is one line naming it. */
export class ArtifactNotFoundError extends UpdraftError {
  constructor(
    readonly uri: string,
    detail?: string,
  ) {
    super(`artifact not found: ${uri}${detail ? ` (${detail})` : ''}`);
  }
}

/**
 * The stored bytes are not what was written: their SHA-256 differs from the
 * recorded one, or the record itself is missing. The message is one line
 * naming the URI; nothing was acted on.
 */
export class ArtifactCorruptError extends UpdraftError {
  constructor(
    readonly uri: string,
    readonly detail: string,
  ) {
    super(`artifact corrupt: ${uri} (${detail})`);
  }
}

/** A URI or key this store cannot address (another backend's scheme, a malformed key). */
export class ArtifactAddressError extends UpdraftError {}

/** One line comparing digests: the first 12 hex digits are enough to tell them apart. */
export const digestMismatch = (expected: string, actual: string, size: number, expectedSize: number): string =>
  size !== expectedSize
    ? `${size} bytes read, ${expectedSize} recorded`
    : `SHA-256 ${actual.slice(0, 12)}… does not match the recorded ${expected.slice(0, 12)}…`;
