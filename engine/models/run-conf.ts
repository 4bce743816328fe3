import { InvalidInputError } from './errors.ts';

/** A run conf is stored with the run and handed to every task: bounded so that no task's environment or log chokes on it. */
export const CONF_LIMITS = { maxBytes: 64 * 1024, maxDepth: 32 } as const;

/** Checks a run conf (CLI and REST alike): a JSON object, at most {@link CONF_LIMITS} in size and nesting. */
export function validateConf(conf: unknown, where: string): Record<string, unknown> {
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf))
    throw new InvalidInputError(`${where} must be a JSON object, e.g. '{"model": "churn"}'`);
  // Iterative, stopping at the limit: a conf nested 100,000 deep must not overflow the stack here.
  const stack: Array<[unknown, number]> = [[conf, 1]];
  while (stack.length > 0) {
    const [value, level] = stack.pop()!;
    if (level > CONF_LIMITS.maxDepth) throw new InvalidInputError(`${where} is nested more than ${CONF_LIMITS.maxDepth} levels deep`);
    for (const child of Object.values(value as object)) if (typeof child === 'object' && child !== null) stack.push([child, level + 1]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(conf));
  if (bytes > CONF_LIMITS.maxBytes)
    throw new InvalidInputError(
      `${where} is ${bytes} bytes; the limit is ${CONF_LIMITS.maxBytes} bytes (64 KiB): pass large inputs as files or artifact URIs`,
    );
  return conf as Record<string, unknown>;
}
