/** The source of "now" for the scheduler and runners, injectable so that tests need not sleep. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that started at `start` and advances in real time. */
export function offsetClock(start: Date): Clock {
  const offset = start.getTime() - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

/** `$UPDRAFT_NOW` (ISO) pins this process's clock start (for tests and demos); otherwise the system clock. */
export function clockFromEnv(): Clock {
  const pinned = process.env.UPDRAFT_NOW;
  if (!pinned) return systemClock;
  const start = new Date(pinned);
  if (Number.isNaN(start.getTime())) throw new Error(`UPDRAFT_NOW is not a date: ${pinned}`);
  return offsetClock(start);
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
