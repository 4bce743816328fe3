/**
 * The fast tier (`npm run test:unit`, the files under test/unit/) runs with no Redis, PostgreSQL or
 * browser. The helpers that start one call this first, so a unit test that needs a service fails
 * at once, naming it, instead of slowing the tier down.
 */
export function assertServicesAllowed(service: string): void {
  if (process.env.UPDRAFT_TEST_TIER === 'unit') {
    throw new Error(`${service} in the unit tier: a test under test/unit/ must not need ${service}; move it to test/`);
  }
}
