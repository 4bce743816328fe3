/** Trigger rules, with Apache Airflow's exact names and semantics. */
export const TriggerRule = {
  /** Every upstream task succeeded (the default). */
  ALL_SUCCESS: 'all_success',
  /** Every upstream task failed or is upstream_failed. */
  ALL_FAILED: 'all_failed',
  /** Every upstream task finished, in any state. */
  ALL_DONE: 'all_done',
  /** Every upstream task was skipped. */
  ALL_SKIPPED: 'all_skipped',
  /** At least one upstream task succeeded; runs without waiting for the others. */
  ONE_SUCCESS: 'one_success',
  /** At least one upstream task failed or is upstream_failed; runs without waiting for the others. */
  ONE_FAILED: 'one_failed',
  /** At least one upstream task succeeded or failed; runs without waiting for the others. */
  ONE_DONE: 'one_done',
  /** No upstream task failed or is upstream_failed: each succeeded or was skipped. */
  NONE_FAILED: 'none_failed',
  /** No upstream task failed or is upstream_failed, and at least one succeeded. */
  NONE_FAILED_MIN_ONE_SUCCESS: 'none_failed_min_one_success',
  /** Every upstream task finished and none was skipped. */
  NONE_SKIPPED: 'none_skipped',
  /** Runs regardless of the upstream tasks. */
  ALWAYS: 'always',
} as const;
/** One of {@link TriggerRule}'s values, e.g. `'all_success'`. */
export type TriggerRule = (typeof TriggerRule)[keyof typeof TriggerRule];

export const TRIGGER_RULES: readonly TriggerRule[] = Object.values(TriggerRule);
export const isTriggerRule = (value: unknown): value is TriggerRule =>
  typeof value === 'string' && (TRIGGER_RULES as readonly string[]).includes(value);
