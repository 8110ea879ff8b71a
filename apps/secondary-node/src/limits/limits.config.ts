import type { EnvReader } from '@idis/runtime';
import type { RedisClusterEndpoint } from '@idis/runtime/redis-endpoint';
import { parseTrustedProxies } from '../http/client-address';

/** The route families that are counted, each with its own limit and key (README, "Rate limits"). */
export const LIMIT_FAMILIES = ['resolution', 'authenticated', 'registration', 'capture', 'mqtt', 'login-username', 'login-ip'] as const;
export type LimitFamily = (typeof LIMIT_FAMILIES)[number];

/** `points` per fixed window of `windowSeconds`. */
export interface LimitRule {
  points: number;
  windowSeconds: number;
}

export interface LimitsConfig {
  /** RATE_LIMITS_ENABLED=false switches every family off (tests and benchmarks that measure something else). */
  enabled: boolean;
  /** null: that family is not limited. */
  families: Record<LimitFamily, LimitRule | null>;
  /** Shared counters across replicas; undefined: each process counts alone (in memory). */
  redisUrl: string | undefined;
  /** A Redis Cluster instead of redisUrl (REDIS_CLUSTER_NODES or a redis+cluster:// REDIS_URL). */
  redisCluster?: RedisClusterEndpoint;
  redisKeyPrefix: string;
  /** A Redis command slower than this counts as Redis unavailable: the in-process limiter decides. */
  redisTimeoutMs: number;
  /** How often local counts of the hot families are added to the shared ones in Redis. */
  syncIntervalMs: number;
  /** Peers whose X-Forwarded-For is believed (addresses and CIDRs); others' is ignored. */
  trustedProxies: string[];
}

interface FamilyVariable {
  family: LimitFamily;
  variable: string;
  fallback: LimitRule;
}

/** Env variable and default of each family; `off` (or 0) disables a family. */
export const FAMILY_VARIABLES: readonly FamilyVariable[] = [
  { family: 'resolution', variable: 'RATE_LIMIT_RESOLUTION', fallback: { points: 300, windowSeconds: 1 } },
  { family: 'authenticated', variable: 'RATE_LIMIT_AUTHENTICATED', fallback: { points: 1000, windowSeconds: 1 } },
  { family: 'registration', variable: 'RATE_LIMIT_REGISTRATIONS', fallback: { points: 1_000_000, windowSeconds: 86_400 } },
  { family: 'capture', variable: 'RATE_LIMIT_CAPTURE', fallback: { points: 50, windowSeconds: 1 } },
  { family: 'mqtt', variable: 'RATE_LIMIT_MQTT', fallback: { points: 2000, windowSeconds: 1 } },
  { family: 'login-username', variable: 'RATE_LIMIT_LOGIN_USERNAME', fallback: { points: 10, windowSeconds: 60 } },
  { family: 'login-ip', variable: 'RATE_LIMIT_LOGIN_IP', fallback: { points: 30, windowSeconds: 60 } },
];

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Windows longer than a week are not counted reliably (Redis keys and memory are kept that long). */
const MAX_WINDOW_SECONDS = 7 * 86_400;

/** `100/1s`, `10/1m`, `1000000/1d`; `off` or `0` → null. Throws with what is expected. */
export function parseLimitRule(raw: string): LimitRule | null {
  const text = raw.trim();
  if (text === 'off' || text === '0') return null;
  const match = /^(\d{1,9})\/(\d{1,6})([smhd])$/.exec(text);
  if (!match) throw new Error('must be <points>/<window> such as 100/1s, 10/1m or 1000000/1d, or off');
  const points = Number(match[1]);
  const windowSeconds = Number(match[2]) * UNIT_SECONDS[match[3]];
  if (points < 1) throw new Error('needs at least 1 point (or off)');
  if (windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) throw new Error(`window must be from 1 s to ${MAX_WINDOW_SECONDS / 86_400} days`);
  return { points, windowSeconds };
}

export function formatLimitRule(rule: LimitRule): string {
  for (const [unit, seconds] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (rule.windowSeconds % seconds === 0) return `${rule.points}/${rule.windowSeconds / seconds}${unit}`;
  }
  return `${rule.points}/${rule.windowSeconds}s`;
}

/** The limits slice; Redis comes from the resolution slice (REDIS_URL, REDIS_KEY_PREFIX). */
export function readLimitsConfig(read: EnvReader, redis: { redisUrl: string | undefined; redisCluster?: RedisClusterEndpoint; redisKeyPrefix: string }): LimitsConfig {
  const families = {} as Record<LimitFamily, LimitRule | null>;
  for (const { family, variable, fallback } of FAMILY_VARIABLES) {
    const raw = read.optional(variable);
    if (raw === undefined) {
      families[family] = fallback;
      continue;
    }
    try {
      families[family] = parseLimitRule(raw);
    } catch (error) {
      read.problem(`${variable} ${(error as Error).message}, got "${raw}"`);
      families[family] = fallback;
    }
  }
  let trustedProxies: string[] = [];
  const proxies = read.optional('TRUSTED_PROXIES');
  if (proxies !== undefined) {
    try {
      trustedProxies = parseTrustedProxies(proxies).entries;
    } catch (error) {
      read.problem(`TRUSTED_PROXIES ${(error as Error).message}`);
    }
  }
  return {
    enabled: read.boolean('RATE_LIMITS_ENABLED', true),
    families,
    redisUrl: redis.redisUrl,
    ...(redis.redisCluster ? { redisCluster: redis.redisCluster } : {}),
    redisKeyPrefix: `${redis.redisKeyPrefix}rl:`,
    redisTimeoutMs: read.integer('RATE_LIMIT_REDIS_TIMEOUT_MS', 200, 1, 10_000),
    syncIntervalMs: read.integer('RATE_LIMIT_SYNC_MS', 100, 10, 10_000),
    trustedProxies,
  };
}

export const LIMITS_CONFIG = Symbol('LIMITS_CONFIG');
