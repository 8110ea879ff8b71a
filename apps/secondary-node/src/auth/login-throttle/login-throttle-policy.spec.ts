import { failureDelayMs, reserveAttempt, settleFailure, type ThrottlePolicy, type ThrottleState } from './login-throttle-policy';

const policy: ThrottlePolicy = { lockAfter: 5, lockSeconds: 600, delayMaxMs: 2000 };
const t0 = new Date('2026-12-05T08:00:00Z');
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

/** Runs `failures` reserved-then-failed attempts one after the other, a second apart. */
function failRepeatedly(failures: number): { state: ThrottleState | null; outcomes: ReturnType<typeof settleFailure>[] } {
  let state: ThrottleState | null = null;
  const outcomes = [];
  for (let i = 0; i < failures; i += 1) {
    const reservation = reserveAttempt(state, later(i), policy);
    if (reservation.verdict !== 'proceed') throw new Error(`attempt ${i + 1} was refused`);
    const outcome = settleFailure(reservation.state, later(i), policy);
    outcomes.push(outcome);
    state = outcome.state;
  }
  return { state, outcomes };
}

describe('login throttle policy', () => {
  it('answers the first two failures at once, then waits twice as long each time up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => failureDelayMs(n, policy))).toEqual([0, 0, 250, 500, 1000, 2000, 2000, 2000]);
    expect(failureDelayMs(1000, { delayMaxMs: 3000 })).toBe(3000);
  });

  it('locks on the lockAfter-th failure and announces it in that reply', () => {
    const { state, outcomes } = failRepeatedly(5);
    expect(outcomes.map((o) => o.locked)).toEqual([false, false, false, false, true]);
    expect(outcomes[4].retryAfterSeconds).toBe(600);
    expect(state?.lockedUntil).toEqual(later(4 + 600));
  });

  it('refuses every attempt while locked, without counting it, and says how long is left', () => {
    const { state } = failRepeatedly(5);
    const reservation = reserveAttempt(state, later(100), policy);
    expect(reservation).toMatchObject({ verdict: 'locked', newlyLocked: false, retryAfterSeconds: 504 });
    expect(reservation.state).toBe(state);
  });

  it('starts counting again once the lock has run out', () => {
    const { state } = failRepeatedly(5);
    const reservation = reserveAttempt(state, later(605), policy);
    expect(reservation).toEqual({ verdict: 'proceed', state: { attempts: 1, lastAttemptAt: later(605), lockedUntil: null } });
  });

  it('forgets failures older than a lock period', () => {
    const { state } = failRepeatedly(4);
    expect(reserveAttempt(state, later(3 + 601), policy)).toMatchObject({ verdict: 'proceed', state: { attempts: 1 } });
    expect(reserveAttempt(state, later(3 + 599), policy)).toMatchObject({ verdict: 'proceed', state: { attempts: 5 } });
  });

  it('counts attempts still being checked, so parallel guesses cannot pass the limit', () => {
    let state: ThrottleState | null = null;
    const verdicts: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const reservation = reserveAttempt(state, t0, policy);
      verdicts.push(reservation.verdict);
      state = reservation.state;
    }
    expect(verdicts).toEqual(['proceed', 'proceed', 'proceed', 'proceed', 'proceed', 'locked', 'locked', 'locked']);
    expect(reserveAttempt(null, t0, policy).verdict).toBe('proceed');
  });

  it('reports the lock as new only to the attempt that set it', () => {
    let state: ThrottleState | null = { attempts: 5, lastAttemptAt: t0, lockedUntil: null };
    const first = reserveAttempt(state, t0, policy);
    expect(first).toMatchObject({ verdict: 'locked', newlyLocked: true });
    state = first.state;
    expect(reserveAttempt(state, later(1), policy)).toMatchObject({ verdict: 'locked', newlyLocked: false });
  });
});
