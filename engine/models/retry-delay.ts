import { createHash } from 'node:crypto';

export interface RetryPolicy {
  retryDelayMs: number;
  retryExponentialBackoff: boolean;
  maxRetryDelayMs: number | null;
}

/**
 * Delay before the try after `failedTry`, computed as Airflow's
 * `TaskInstance.next_retry_datetime`: with exponential backoff the delay is
 * `retryDelay * 2^(try-1)` plus a deterministic jitter below that amount
 * (a hash of dag, task, logical date and try), capped by `maxRetryDelay`.
 */
export function retryDelayMs(policy: RetryPolicy, failedTry: number, key: { dagId: string; taskId: string; logicalDate: string }): number {
  let delayMs = policy.retryDelayMs;
  if (policy.retryExponentialBackoff) {
    const minBackoffSeconds = Math.max(1, Math.ceil((policy.retryDelayMs / 1000) * 2 ** (failedTry - 1)));
    const digest = createHash('sha1').update(`${key.dagId}#${key.taskId}#${key.logicalDate}#${failedTry}`).digest('hex');
    const jitter = Number(BigInt(`0x${digest}`) % BigInt(minBackoffSeconds));
    delayMs = (minBackoffSeconds + jitter) * 1000;
  }
  if (policy.maxRetryDelayMs !== null) delayMs = Math.min(delayMs, policy.maxRetryDelayMs);
  return delayMs;
}
