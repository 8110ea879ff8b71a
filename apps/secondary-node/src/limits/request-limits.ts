import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createRedisClient, type RedisClient } from '@idis/runtime/redis-client';
import type { RedisEndpoint } from '@idis/runtime/redis-endpoint';
import { addressKey, clientAddress, parseTrustedProxies, type TrustedProxies } from '../http/client-address';
import { HealthBoard } from '../health/health-board';
import { LimitStore } from './limit-store';
import { LIMIT_FAMILIES, type LimitFamily, LIMITS_CONFIG, type LimitsConfig } from './limits.config';
import { LocalTally, type Refusal } from './local-tally';

/** Families decided in this process and synced to Redis in the background (see LocalTally). */
const HOT_FAMILIES: ReadonlySet<LimitFamily> = new Set(['resolution', 'authenticated', 'capture', 'mqtt']);
/** How long start-up waits for Redis before counting in memory until it answers. */
const BOOT_WAIT_MS = 1000;

export type { Refusal } from './local-tally';

interface FamilyCounter {
  store: LimitStore;
  tally: LocalTally | undefined;
}

/**
 * The node's rate limits and quotas (one instance per process). Hot families (resolution,
 * authenticated calls, capture, MQTT) are decided in memory without waiting for Redis (`takeNow`);
 * the rest (login attempts, the daily registration quota) are counted exactly in Redis (`take`).
 * Either way a Redis that is down or frozen only moves the counting into this process: the node
 * never stops answering because of its limiter.
 */
@Injectable()
export class RequestLimits implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimits');
  private readonly counters = new Map<LimitFamily, FamilyCounter>();
  private readonly refusals = new Map<LimitFamily, number>(LIMIT_FAMILIES.map((family) => [family, 0]));
  private readonly redis: RedisClient | undefined;
  private readonly proxies: TrustedProxies | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(LIMITS_CONFIG) readonly config: LimitsConfig,
    health: HealthBoard,
  ) {
    this.proxies = config.trustedProxies.length > 0 ? parseTrustedProxies(config.trustedProxies.join(',')) : undefined;
    const active = LIMIT_FAMILIES.filter((family) => config.enabled && config.families[family] !== null);
    const endpoint: RedisEndpoint = { redisUrl: config.redisUrl, redisCluster: config.redisCluster };
    this.redis = active.length > 0 && (endpoint.redisUrl || endpoint.redisCluster) ? limiterConnection(endpoint, config.redisTimeoutMs) : undefined;
    for (const family of active) {
      const rule = config.families[family];
      if (rule === null) continue;
      const store = new LimitStore(rule, `${config.redisKeyPrefix}${family}`, this.redis);
      this.counters.set(family, { store, tally: HOT_FAMILIES.has(family) ? new LocalTally(store) : undefined });
    }
    if (this.redis) health.registerProbe('rateLimitStore', () => this.probe());
  }

  async onModuleInit(): Promise<void> {
    if (this.counters.size === 0) return;
    this.timer = setInterval(() => void this.sync(), this.config.syncIntervalMs);
    this.timer.unref();
    if (!this.redis) return;
    const redis = this.redis;
    redis.connect().catch(() => undefined); // reconnects in the background; counting is in memory meanwhile
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), BOOT_WAIT_MS);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) this.logger.warn(`Redis not reachable after ${BOOT_WAIT_MS} ms: rate limits are counted per process until it is`);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sync();
    if (this.redis) {
      if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
      this.redis.disconnect();
    }
  }

  isLimited(family: LimitFamily): boolean {
    return this.counters.has(family);
  }

  /** The address a per-address limit counts (TRUSTED_PROXIES decides whether X-Forwarded-For is believed). */
  clientKey(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    return addressKey(clientAddress(peer, forwardedFor, this.proxies));
  }

  /** A hot family: decided at once from this process's counts. undefined = allowed. */
  takeNow(family: LimitFamily, key: string, points = 1): Refusal | undefined {
    const counter = this.counters.get(family);
    if (counter === undefined) return undefined;
    const refusal = counter.tally ? counter.tally.take(key, points, Date.now()) : undefined;
    if (refusal) this.refusals.set(family, (this.refusals.get(family) as number) + 1);
    return refusal;
  }

  /** Any family, counted exactly in the shared store (hot families fall back to takeNow). */
  async take(family: LimitFamily, key: string, points = 1): Promise<Refusal | undefined> {
    const counter = this.counters.get(family);
    if (counter === undefined) return undefined;
    if (counter.tally) return this.takeNow(family, key, points);
    const rule = counter.store.rule;
    const taken = await counter.store.take(key, points);
    if (taken.allowed) return undefined;
    this.refusals.set(family, (this.refusals.get(family) as number) + 1);
    return { limit: rule.points, remaining: Math.max(0, rule.points - taken.consumed), resetMs: taken.msBeforeReset, windowSeconds: rule.windowSeconds };
  }

  /** Gives back points `take` took for a call that then failed (a refused request changes nothing). */
  async giveBack(family: LimitFamily, key: string, points = 1): Promise<void> {
    const counter = this.counters.get(family);
    if (counter === undefined || counter.tally) return;
    await counter.store.giveBack(key, points).catch(() => undefined);
  }

  /** Refused calls per family since start (for /metrics). */
  refusalCounts(): ReadonlyMap<LimitFamily, number> {
    return this.refusals;
  }

  /** Store commands that Redis failed or answered too late since start (the in-process limiter counted instead). */
  fallbackCount(): number {
    let total = 0;
    for (const { store } of this.counters.values()) total += store.fallbacks;
    return total;
  }

  /** Pushes the hot families' local counts to the shared counters. */
  async sync(): Promise<void> {
    await Promise.all([...this.counters.values()].map(({ tally }) => tally?.sync()));
  }

  private async probe(): Promise<{ status: 'up' | 'down'; detail: object }> {
    const redis = this.redis as RedisClient;
    try {
      await redis.ping();
      return { status: 'up', detail: { status: 'up' } };
    } catch {
      return { status: 'down', detail: { status: 'down', counting: 'per process until Redis answers' } };
    }
  }
}

/**
 * The limiter's own Redis connection: no offline queue (a command while disconnected fails at
 * once and the in-process limiter counts), a per-command timeout, reconnection in the background.
 */
function limiterConnection(endpoint: RedisEndpoint, timeoutMs: number): RedisClient {
  const redis = createRedisClient(endpoint, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    connectionName: 'idis-rate-limits',
    disableClientInfo: true,
  });
  redis.on('error', () => undefined); // the store notices failures itself; reconnects are silent
  return redis;
}
