import { InvalidInputError } from '../models/errors.ts';

/** The variable that sets a try's log cap. */
export const TASK_LOG_MAX_BYTES_VARIABLE = 'UPDRAFT_TASK_LOG_MAX_BYTES';

/** 100 MiB: far more than anyone reads, small enough that one runaway task cannot fill the store. */
export const DEFAULT_TASK_LOG_MAX_BYTES = 100 * 1024 * 1024;

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i;
const UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * How many bytes of task output one try may write to its log
 * (`$UPDRAFT_TASK_LOG_MAX_BYTES`: a number of bytes, or `512k`, `100MB`, `1g`;
 * `0` means no cap). A bad value is refused in one line rather than guessed at.
 */
export function taskLogMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TASK_LOG_MAX_BYTES_VARIABLE]?.trim();
  if (!raw) return DEFAULT_TASK_LOG_MAX_BYTES;
  const match = SIZE.exec(raw);
  if (!match)
    throw new InvalidInputError(
      `${TASK_LOG_MAX_BYTES_VARIABLE}=${JSON.stringify(raw)}: not a size (bytes, or a number with k, m or g, e.g. 100m; 0 for no cap)`,
    );
  const unit = UNIT[(match[2] ?? '').toLowerCase().charAt(0)] ?? 1;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes === 0 ? Number.POSITIVE_INFINITY : bytes;
}

/** `104857600` → `100 MiB`, for the truncation marker. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}
