import type { EnvReader } from '@idis/runtime';
import type { HandleSessionLimits } from './handle-sessions';

/** Handle.Net REST authentication (registry/handle-auth): the bounds of the challenge–response sessions. */
export type HandleAuthConfig = HandleSessionLimits;

export function readHandleAuthConfig(read: EnvReader): HandleAuthConfig {
  return {
    idleSeconds: read.integer('HANDLE_SESSION_IDLE_SECONDS', 1800, 60, 86400),
    maxAgeSeconds: read.integer('HANDLE_SESSION_MAX_AGE_SECONDS', 43200, 60, 7 * 86400),
    maxSessions: read.integer('HANDLE_SESSIONS_MAX', 10000, 1, 1_000_000),
  };
}

export const HANDLE_AUTH_CONFIG = Symbol('HANDLE_AUTH_CONFIG');
