import type { MessagePort } from 'node:worker_threads';
import { keyFromString, keyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import { Store, type StoreLocation } from '../store/store.ts';

/** What the heartbeat thread is started with. */
export interface HeartbeatThreadData {
  location: StoreLocation;
  intervalMs: number;
  /** The worker's clock minus the system clock (a pinned `UPDRAFT_NOW`), so beats carry the worker's time. */
  clockOffsetMs: number;
}

/** From the worker to its heartbeat thread: a try to beat for, tries no longer to (each a keyString), or stop. */
export type HeartbeatCommand = { watch: string } | { unwatch: string[] } | { stop: true };

/** From the heartbeat thread: after each beat, the tries it beat for and those of them still `running`; or why it failed. */
export type HeartbeatReport = { beaten: string[]; running: string[] } | { error: string };

/**
 * The thread side of {@link TryTerminator}'s beats: one UPDATE per interval
 * for the watched tries, on a connection of its own. The engine's migrations
 * only: the worker's store is migrated already, and a plugin's recorded
 * migrations are left alone (see migrate()).
 */
export async function beatInThread(data: HeartbeatThreadData, port: MessagePort): Promise<void> {
  const store = await Store.open({ ...data.location, poolSize: 1 });
  const watched = new Map<string, TaskInstanceKey>();
  let beating = false;
  const beat = async (): Promise<void> => {
    if (beating || watched.size === 0) return;
    beating = true;
    const keys = [...watched.values()];
    try {
      const running = await store.tasks.heartbeat(keys, new Date(Date.now() + data.clockOffsetMs));
      port.postMessage({ beaten: keys.map(keyString), running: running.map(keyString) } satisfies HeartbeatReport);
    } catch (error) {
      port.postMessage({ error: (error as Error).message } satisfies HeartbeatReport);
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(() => void beat(), data.intervalMs);
  port.on('message', (command: HeartbeatCommand) => {
    if ('watch' in command) watched.set(command.watch, keyFromString(command.watch));
    else if ('unwatch' in command) for (const id of command.unwatch) watched.delete(id);
    else {
      clearInterval(timer);
      port.close();
      void store.close();
    }
  });
}
