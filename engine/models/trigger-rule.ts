/** Trigger rules, with Apache Airflow's exact names and semantics. */
export const TriggerRule = {
  ALL_SUCCESS: 'all_success',
  ALL_FAILED: 'all_failed',
  ALL_DONE: 'all_done',
  ALL_SKIPPED: 'all_skipped',
  ONE_SUCCESS: 'one_success',
  ONE_FAILED: 'one_failed',
  ONE_DONE: 'one_done',
  NONE_FAILED: 'none_failed',
  NONE_FAILED_MIN_ONE_SUCCESS: 'none_failed_min_one_success',
  NONE_SKIPPED: 'none_skipped',
  ALWAYS: 'always',
} as const;
export type TriggerRule = (typeof TriggerRule)[keyof typeof TriggerRule];

export const TRIGGER_RULES: readonly TriggerRule[] = Object.values(TriggerRule);
export const isTriggerRule = (value: unknown): value is TriggerRule =>
  typeof value === 'string' && (TRIGGER_RULES as readonly string[]).includes(value);
