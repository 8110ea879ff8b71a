import type { RedisClient } from '@idis/runtime/redis-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { LimitRule } from './limits.config';

/** The shared count of a key after a change: points used in the window and ms until it ends. */
export interface Count {
  consumed: number;
  msBeforeReset: number;
}

/** The outcome of taking points: allowed or not, with the count as it then stands. */
export interface Taken extends Count {
  allowed: boolean;
}

/** How long Redis is bypassed after a failed or slow command before it is tried again. */
const REDIS_BYPASS_MS = 1000;

/**
 * The counters of one family: in Redis (RateLimiterRedis, shared by every replica) when it is
 * configured and answering, otherwise in this process (a RateLimiterMemory, the insurance
 * limiter). A command that fails or exceeds the connection's timeout sends the next second's
 * commands straight to memory, so a frozen Redis costs one timeout per second, not one per request.
 */
export class LimitStore {
  private readonly shared: RateLimiterRedis | undefined;
  private readonly local: RateLimiterMemory;
  private bypassUntil = 0;
  /** Commands Redis failed or answered too late (the in-process limiter counted instead). */
  fallbacks = 0;

  constructor(
    readonly rule: LimitRule,
    keyPrefix: string,
    redis: RedisClient | undefined,
  ) {
    const options = { points: rule.points, duration: rule.windowSeconds, keyPrefix };
    this.local = new RateLimiterMemory(options);
    this.shared = redis ? new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true }) : undefined;
  }

  /** Whether the last command reached Redis (false without Redis). */
  get sharedInUse(): boolean {
    return this.shared !== undefined && Date.now() >= this.bypassUntil;
  }

  /** Adds `points` whatever the limit (the counts of the hot families are decided locally). */
  add(key: string, points: number): Promise<Count> {
    return this.run((limiter) => limiter.penalty(key, points));
  }

  /** Takes `points` if they fit; a refusal keeps nothing. */
  async take(key: string, points: number): Promise<Taken> {
    try {
      return { allowed: true, ...(await this.run((limiter) => limiter.consume(key, points))) };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      // rate-limiter-flexible counts a refused consume too: give the points back, a refusal changes nothing.
      await this.run((limiter) => limiter.reward(key, points)).catch(() => undefined);
      return { allowed: false, consumed: Math.max(0, refusal.consumedPoints - points), msBeforeReset: Math.max(0, refusal.msBeforeNext) };
    }
  }

  /** Returns points taken for a request that then failed. */
  async giveBack(key: string, points: number): Promise<void> {
    await this.run((limiter) => limiter.reward(key, points));
  }

  private async run(operation: (limiter: RateLimiterRedis | RateLimiterMemory) => Promise<RateLimiterRes>): Promise<Count> {
    if (this.shared && Date.now() >= this.bypassUntil) {
      try {
        return countOf(await operation(this.shared));
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error;
        this.fallbacks += 1;
        this.bypassUntil = Date.now() + REDIS_BYPASS_MS;
      }
    }
    return countOf(await operation(this.local));
  }
}

function countOf(res: RateLimiterRes): Count {
  return { consumed: res.consumedPoints, msBeforeReset: Math.max(0, res.msBeforeNext) };
}
