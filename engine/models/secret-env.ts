/**
 * Which environment variables hold secrets: one list for everything that
 * must keep them out of sight (a bash task's environment, log and error
 * redaction). It lives in the model so that operators and logging can both
 * import it.
 */

/** Where a secret environment variable keeps its secret: the whole value, or the password of the URL it holds. */
export type SecretKind = 'value' | 'url-password';

/**
 * The variables Updraft (or a driver it uses) reads credentials from:
 * the REST API token, the Redis URL, the store and artifact-store URLs, and
 * node-pg's `PGPASSWORD`.
 */
export const SECRET_ENV_VARS: Readonly<Record<string, SecretKind>> = {
  UPDRAFT_API_TOKEN: 'value',
  REDIS_URL: 'url-password',
  UPDRAFT_DATABASE_URL: 'url-password',
  UPDRAFT_ARTIFACTS_URL: 'url-password',
  PGPASSWORD: 'value',
};

/**
 * Words that make any variable's name secret, whoever set it
 * (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, `SMTP_PASSWORD`, `OPENAI_API_KEY`).
 * Matched as whole `_`-separated words, so `KEYBOARD_LAYOUT` or `TOKENIZERS_PARALLELISM` stay.
 */
const SECRET_NAME_WORDS: ReadonlySet<string> = new Set([
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'TOKEN',
  'SECRET',
  'KEY',
  'APIKEY',
  'CREDENTIALS',
]);

/** `scheme://user:password@`: a URL carrying a password, whatever variable holds it. */
const URL_WITH_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#]+@/i;

/** True for a variable Updraft knows to be secret, or whose name says it is. */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return Object.hasOwn(SECRET_ENV_VARS, upper) || upper.split('_').some((word) => SECRET_NAME_WORDS.has(word));
}

/** True for a variable whose name is secret ({@link isSecretEnvName}) or whose value is a URL with a password (`http_proxy`, `DATABASE_URL`). */
export function isSecretEnvVar(name: string, value: string | undefined): boolean {
  return isSecretEnvName(name) || (value !== undefined && URL_WITH_PASSWORD.test(value));
}
