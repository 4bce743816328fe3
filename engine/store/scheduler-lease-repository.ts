import type { Db } from './database.ts';

export interface LeaseState {
  acquired: boolean;
  /** Who holds the lease now (this caller when acquired). */
  holder: string;
  hostname: string;
}

const NAME = 'active-scheduler';

/**
 * A lease in the store, taken and renewed with compare-and-set: the holder
 * keeps it by renewing before `expires_at`; anyone may take it once it has
 * expired. Wall-clock times: liveness is about real time, not the injected clock.
 */
export class SchedulerLeaseRepository {
  constructor(private readonly db: Db) {}

  /** Takes or renews the lease for `ttlMs`; tells who holds it otherwise. */
  async acquire(holder: string, hostname: string, ttlMs: number, now = new Date()): Promise<LeaseState> {
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const inserted = await this.db
      .insertInto('scheduler_lease')
      .values({ name: NAME, holder, hostname, expires_at: expiresAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { acquired: true, holder, hostname };
    const taken = await this.db
      .updateTable('scheduler_lease')
      .set({ holder, hostname, expires_at: expiresAt })
      .where('name', '=', NAME)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now.toISOString())]))
      .executeTakeFirst();
    if (taken.numUpdatedRows > 0n) return { acquired: true, holder, hostname };
    const current = await this.db.selectFrom('scheduler_lease').select(['holder', 'hostname']).where('name', '=', NAME).executeTakeFirst();
    return { acquired: false, holder: current?.holder ?? '?', hostname: current?.hostname ?? '?' };
  }

  /** Gives the lease up at once (a clean stop): a standing-by scheduler takes over without waiting for expiry. */
  async release(holder: string): Promise<void> {
    await this.db
      .updateTable('scheduler_lease')
      .set({ expires_at: new Date(0).toISOString() })
      .where('name', '=', NAME)
      .where('holder', '=', holder)
      .execute();
  }
}
