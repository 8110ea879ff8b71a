import { LimitStore } from './limit-store';
import { LocalTally } from './local-tally';

/** LocalTally over an in-memory LimitStore (no Redis): decisions, syncing, windows. */
describe('LocalTally', () => {
  const rule = { points: 3, windowSeconds: 60 };

  it('allows up to the limit, then refuses with what the headers need, without counting the refusals', () => {
    const tally = new LocalTally(new LimitStore(rule, 'test:', undefined));
    const now = Date.now();
    expect([tally.take('a', 1, now), tally.take('a', 1, now), tally.take('a', 1, now)]).toEqual([undefined, undefined, undefined]);
    const refusal = tally.take('a', 1, now);
    expect(refusal).toEqual({ limit: 3, remaining: 0, resetMs: 60_000, windowSeconds: 60 });
    expect(tally.take('b', 1, now)).toBeUndefined();
    expect(tally.take('b', 3, now)).toEqual(expect.objectContaining({ remaining: 2 }));
  });

  it('learns the shared count on sync: points another replica took count here', async () => {
    const store = new LimitStore(rule, 'test:', undefined);
    const here = new LocalTally(store);
    const there = new LocalTally(store);
    const now = Date.now();
    expect(there.take('k', 2, now)).toBeUndefined();
    await there.sync();
    expect(here.take('k', 1, now)).toBeUndefined();
    await here.sync();
    // Shared count is now 3: this replica knows it and refuses, with the reset the store reported.
    const refusal = here.take('k', 1, Date.now());
    expect(refusal?.remaining).toBe(0);
    expect(refusal?.resetMs).toBeGreaterThan(50_000);
    expect(refusal?.resetMs).toBeLessThanOrEqual(60_000);
  });

  it('starts a new window once the shared one has ended', async () => {
    const tally = new LocalTally(new LimitStore(rule, 'test:', undefined));
    const now = Date.now();
    tally.take('k', 3, now);
    await tally.sync();
    expect(tally.take('k', 1, now)).toBeDefined();
    expect(tally.take('k', 1, now + 61_000)).toBeUndefined();
  });
});
