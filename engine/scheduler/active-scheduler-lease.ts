import { hostname } from 'node:os';
import type { Logger } from '../logging/logger.ts';
import type { Store } from '../store/store.ts';

/** A standing-by scheduler takes over this long after the active one stopped renewing. @defaultValue 10 s */
const LEASE_TTL_MS = Number(process.env.UPDRAFT_SCHEDULER_LEASE_SECONDS ?? 10) * 1000;
const POLL_MS = 1000;

/**
 * One active scheduler per SQLite store (one writer host): the others stand
 * by and take over when the active one stops renewing its lease (killed,
 * hung, host gone). On PostgreSQL every scheduler is active and row locks
 * divide the work, so no lease is taken.
 */
export class ActiveSchedulerLease {
  private readonly host = hostname();

  constructor(
    private readonly store: Store,
    private readonly holder: string,
    private readonly log: Logger,
  ) {}

  /** Resolves once this scheduler holds the lease; says once, in one line, that it stands by. */
  async acquire(): Promise<void> {
    let waitedFor: string | null = null;
    for (;;) {
      const state = await this.store.schedulerLease.acquire(this.holder, this.host, LEASE_TTL_MS);
      if (state.acquired) {
        if (waitedFor)
          this.log.info({ previous: waitedFor }, `taking over as the active scheduler: ${waitedFor} stopped renewing its lease`);
        return;
      }
      if (waitedFor !== state.holder) {
        waitedFor = state.holder;
        this.log.info(
          { active: state.holder, active_hostname: state.hostname },
          `standing by: scheduler ${state.holder} on ${state.hostname} is active on this SQLite store (one at a time); this one takes over if it stops`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Renews the lease; false when another scheduler has taken it (this one was presumed dead). */
  async renew(): Promise<boolean> {
    return (await this.store.schedulerLease.acquire(this.holder, this.host, LEASE_TTL_MS)).acquired;
  }

  release(): Promise<void> {
    return this.store.schedulerLease.release(this.holder);
  }
}
