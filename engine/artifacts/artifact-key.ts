import { ArtifactAddressError } from './errors.ts';

// A segment starts with a letter, digit or '_' (never '.', so a key cannot
// climb out of its root nor collide with the local backend's hidden content
// files); ':' and '+' are allowed because DAG run ids contain them.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.:+=@-]{0,199}$/;

/**
 * Checks an artifact key (`models/churn/<run>/model.json`): '/'-separated
 * segments of letters, digits and `_ . : + = @ -`, none empty, none starting
 * with '.'. Returns its segments.
 */
export function keySegments(key: string): string[] {
  const segments = key.split('/');
  if (key.length > 1000 || segments.some((s) => !SEGMENT.test(s))) {
    // JSON quoting: a key with a line break or control characters still makes a one-line message.
    throw new ArtifactAddressError(
      `bad artifact key ${JSON.stringify(key)}: use '/'-separated segments of letters, digits and '_ . : + = @ -', none empty or starting with '.'`,
    );
  }
  return segments;
}

/** Joins key segments, checking each. */
export function artifactKey(...segments: string[]): string {
  const key = segments.join('/');
  keySegments(key);
  return key;
}
