import type { EnvReader } from '@idis/runtime';
import type { HandleSessionLimits } from './handle-sessions';

/** Handle.Net REST authentication (registry/handle-auth): where the challenge–response sessions live, and their bounds. */
export interface HandleAuthConfig extends HandleSessionLimits {
  /** The same REDIS_URL as the cache (validated by its slice): sessions are shared by every replica through it. Unset: in memory. */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
}

export function readHandleAuthConfig(read: EnvReader): HandleAuthConfig {
  return {
    idleSeconds: read.integer('HANDLE_SESSION_IDLE_SECONDS', 1800, 60, 86400),
    maxAgeSeconds: read.integer('HANDLE_SESSION_MAX_AGE_SECONDS', 43200, 60, 7 * 86400),
    maxSessions: read.integer('HANDLE_SESSIONS_MAX', 10000, 1, 1_000_000),
    redisUrl: read.optional('REDIS_URL'),
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'idis:'),
  };
}

export const HANDLE_AUTH_CONFIG = Symbol('HANDLE_AUTH_CONFIG');
