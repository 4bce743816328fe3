/**
 * The one redaction every logger and error path goes through: passwords in
 * URLs, bearer tokens and `?password=` parameters, and the values of the
 * secrets this process knows (its configured secrets, read from the
 * environment variables below and registered by whoever opens a connection).
 */

import { SECRET_ENV_VARS } from '../models/secret-env.ts';

// The one list of secret variables (engine/models/secret-env.ts) is shared with the bash operator's clean environment.
export { SECRET_ENV_VARS, type SecretKind } from '../models/secret-env.ts';

export const MASK = '***';

/**
 * Shorter values are not masked wherever they appear (a one-letter password
 * would blank every such letter of a log); they are still masked inside a
 * URL, where the URL says what the password is.
 */
const MIN_MASKED_LENGTH = 4;

const secrets = new Set<string>();
/** The secrets longest first, so that a secret containing another is masked whole. */
let longestFirst: string[] = [];
let environmentRead = false;

/** Masks `value` wherever it appears in redacted text from now on (also as JSON and URL encoding spell it). */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_MASKED_LENGTH) return;
  for (const spelling of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) secrets.add(spelling);
  longestFirst = [...secrets].sort((a, b) => b.length - a.length);
}

/** Registers the password of a URL (as it is spelled in the URL and decoded). */
export function registerUrlPassword(url: string | undefined | null): void {
  const password = urlPassword(url);
  if (password === null) return;
  registerSecret(password);
  try {
    registerSecret(decodeURIComponent(password));
  } catch {
    // not percent-encoding after all: the spelling registered above is the password
  }
}

/** Registers the secrets of {@link SECRET_ENV_VARS} as `env` holds them; done once for `process.env` before any redaction. */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, kind] of Object.entries(SECRET_ENV_VARS)) {
    if (kind === 'value') registerSecret(env[name]);
    else registerUrlPassword(env[name]);
  }
}

/** The password between `scheme://user:` and the authority's last `@`, as spelled, or null. */
function urlPassword(url: string | undefined | null): string | null {
  if (!url) return null;
  CREDENTIALS.lastIndex = 0;
  const match = CREDENTIALS.exec(url);
  const userinfo = match?.[2];
  if (userinfo === undefined || !userinfo.includes(':')) return null;
  return userinfo.slice(userinfo.indexOf(':') + 1) || null;
}

/**
 * `scheme://userinfo@`: the authority ends at `/ ? #`, whitespace or a quote,
 * and its userinfo runs to its last `@` (a password may hold a raw `@` or `:`).
 */
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'`<>\\]*)@/gi;
const SECRET_PARAMETER = /([?&;](?:password|passwd|pwd|pass|token|access_token|api_key|apikey|secret)=)[^&\s#"'`<>\\]*/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

/** `text` with every password, token and registered secret replaced by `***`. */
export function redact(text: string): string {
  if (!environmentRead) {
    environmentRead = true;
    registerSecretsFromEnv();
  }
  let out = text
    .replace(CREDENTIALS, (_whole, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
    })
    .replace(SECRET_PARAMETER, `$1${MASK}`)
    .replace(BEARER, `$1${MASK}`);
  for (const secret of longestFirst) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

/** An error as one redacted line: its message, without stack or line breaks. */
export function oneLineReason(error: unknown): string {
  // Node's AggregateError (every address of a name refused) has no message of its own, only a code.
  const message = error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code || error.name : String(error);
  return redact(message.replace(/\s*\n\s*/g, ' ').trim());
}
