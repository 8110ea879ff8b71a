import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '@idis/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../../errors/domain-errors';
import { EventHub } from '../../events/event-hub';
import { AUTH_CONFIG, type AuthConfig } from '../auth.config';
import { reserveAttempt, settleFailure, type ThrottlePolicy } from './login-throttle-policy';
import { LoginThrottleRepository } from './login-throttle.repository';

/**
 * The refusal while a username is locked. The same words and status whether or not an account
 * of that name exists, and answered without checking any password, so a lock reveals nothing.
 */
export class LoginLockedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('LOGIN_LOCKED', `too many failed sign-ins for this username: it is locked for ${retryAfterSeconds} more seconds (an operator can unlock it)`);
  }
}

const PRUNE_INTERVAL_MS = 60_000;

/**
 * Failed sign-ins per username slow down, then lock the username (LOGIN_LOCK_AFTER failures in a
 * row lock it for LOGIN_LOCK_SECONDS). The count lives in PostgreSQL, so every replica sees it.
 */
@Injectable()
export class LoginThrottle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Auth');
  private readonly policy: ThrottlePolicy;
  private readonly pruning: PeriodicTask<void>;

  constructor(
    private readonly rows: LoginThrottleRepository,
    private readonly events: EventHub,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.policy = { lockAfter: config.loginLockAfter, lockSeconds: config.loginLockSeconds, delayMaxMs: config.loginDelayMaxMs };
    this.pruning = new PeriodicTask(() => this.rows.prune(this.policy.lockSeconds), {
      intervalMs: PRUNE_INTERVAL_MS,
      onError: (error) => this.logger.warn(`pruning login_throttle failed: ${(error as Error).message}`),
    });
  }

  onApplicationBootstrap(): void {
    this.pruning.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pruning.stop();
  }

  /**
   * Runs `check` (the password check) as one sign-in attempt of `username`: undefined from it is a
   * failure, anything else a success that clears the count. A failure is answered with
   * `failure()` after the pause its rank earns, or with LoginLockedError when it locks the name.
   */
  async attempt<T>(username: string, check: () => Promise<T | undefined>, failure: () => DomainError): Promise<T> {
    const reservation = await this.rows.update(username, (current, now) => reserveAttempt(current, now, this.policy));
    if (reservation.verdict === 'locked') {
      if (reservation.newlyLocked) await this.announceLock(username, reservation.retryAfterSeconds);
      throw new LoginLockedError(reservation.retryAfterSeconds);
    }
    const result = await check();
    if (result !== undefined) {
      await this.rows.clear(username);
      return result;
    }
    const outcome = await this.rows.settle(username, (current, now) => settleFailure(current, now, this.policy));
    if (outcome?.locked) {
      await this.announceLock(username, outcome.retryAfterSeconds);
      throw new LoginLockedError(outcome.retryAfterSeconds);
    }
    if (outcome && outcome.delayMs > 0) await sleep(outcome.delayMs);
    throw failure();
  }

  /** An operator lifts the lock (and forgets the failures). */
  unlock(username: string): Promise<boolean> {
    return this.rows.clear(username);
  }

  lockedUntil(username: string): Promise<Date | null> {
    return this.rows.lockedUntil(username);
  }

  /**
   * For credentials sent with every request (HTTP Basic at the Handle REST front door), where
   * `attempt`'s write per call would tax every legitimate write: one read before the check
   * (locked → LoginLockedError), and the count written only when the check fails — then the same
   * pause and lock as a failed sign-in. A success clears earlier failures.
   */
  async everyRequest<T>(name: string, check: () => Promise<T | undefined>, failure: () => DomainError): Promise<T> {
    const locked = await this.rows.lockedUntil(name);
    if (locked !== null) throw new LoginLockedError(Math.max(1, Math.ceil((locked.getTime() - Date.now()) / 1000)));
    const result = await check();
    if (result !== undefined) {
      await this.rows.clearIfCounted(name);
      return result;
    }
    return this.attempt<T>(name, async () => undefined, failure);
  }

  private async announceLock(username: string, seconds: number): Promise<void> {
    // The target is the name as typed (lower-cased): it may be no account at all.
    await this.events.emit('audit.recorded', {
      entry: { action: 'account.lock', target: `account:${username.toLowerCase()}`, outcome: 'ok', after: { lockedForSeconds: seconds }, reason: 'LOGIN_LOCKED' },
    });
  }
}
