import { Store } from '../../engine/store/store.ts';

let shared: Promise<Store> | null = null;

/** One store per process for task code (workers and `dags test` run many tasks). */
export function sharedStore(): Promise<Store> {
  shared ??= Store.open();
  return shared;
}
