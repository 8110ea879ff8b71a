/** What a username's failed sign-ins have led to so far. */
export interface ThrottleState {
  attempts: number;
  lastAttemptAt: Date;
  lockedUntil: Date | null;
}

export interface ThrottlePolicy {
  /** Failures in a row that lock the username. */
  lockAfter: number;
  lockSeconds: number;
  /** The longest pause before a failure is answered. */
  delayMaxMs: number;
}

export type Reservation =
  | { verdict: 'proceed'; state: ThrottleState }
  | { verdict: 'locked'; state: ThrottleState; retryAfterSeconds: number; newlyLocked: boolean };

export interface FailureOutcome {
  state: ThrottleState;
  /** Locked by this failure (the reply announces the lock instead of "wrong password"). */
  locked: boolean;
  retryAfterSeconds: number;
  /** How long to wait before answering the failure. */
  delayMs: number;
}

/** The first failures are answered at once (typos); from the third on, each waits twice as long as the one before. */
const FREE_FAILURES = 2;
const FIRST_DELAY_MS = 250;

/**
 * Before a password is checked: counts the attempt up front, so that parallel guesses cannot slip
 * past the limit while the slow password hash runs. A lock that has run out, or failures older
 * than a lock period, start the count again.
 */
export function reserveAttempt(previous: ThrottleState | null, now: Date, policy: ThrottlePolicy): Reservation {
  if (previous?.lockedUntil && previous.lockedUntil > now) {
    return { verdict: 'locked', state: previous, retryAfterSeconds: secondsUntil(previous.lockedUntil, now), newlyLocked: false };
  }
  const stale = !previous || previous.lockedUntil !== null || now.getTime() - previous.lastAttemptAt.getTime() > policy.lockSeconds * 1000;
  const attempts = (stale ? 0 : previous.attempts) + 1;
  if (attempts > policy.lockAfter) {
    const lockedUntil = new Date(now.getTime() + policy.lockSeconds * 1000);
    return { verdict: 'locked', state: { attempts, lastAttemptAt: now, lockedUntil }, retryAfterSeconds: policy.lockSeconds, newlyLocked: true };
  }
  return { verdict: 'proceed', state: { attempts, lastAttemptAt: now, lockedUntil: null } };
}

/** After a wrong password: the lock once `lockAfter` failures are counted, otherwise an increasing pause. */
export function settleFailure(current: ThrottleState, now: Date, policy: ThrottlePolicy): FailureOutcome {
  if (current.lockedUntil && current.lockedUntil > now) {
    return { state: current, locked: true, retryAfterSeconds: secondsUntil(current.lockedUntil, now), delayMs: 0 };
  }
  if (current.attempts >= policy.lockAfter) {
    const lockedUntil = new Date(now.getTime() + policy.lockSeconds * 1000);
    return { state: { ...current, lockedUntil }, locked: true, retryAfterSeconds: policy.lockSeconds, delayMs: 0 };
  }
  return { state: current, locked: false, retryAfterSeconds: 0, delayMs: failureDelayMs(current.attempts, policy) };
}

export function failureDelayMs(failures: number, policy: Pick<ThrottlePolicy, 'delayMaxMs'>): number {
  if (failures <= FREE_FAILURES) return 0;
  return Math.min(FIRST_DELAY_MS * 2 ** Math.min(failures - FREE_FAILURES - 1, 16), policy.delayMaxMs);
}

function secondsUntil(moment: Date, now: Date): number {
  return Math.max(1, Math.ceil((moment.getTime() - now.getTime()) / 1000));
}
