import type { EnvReader } from '@idis/runtime';

/** Accounts and tokens. */
export interface AuthConfig {
  operatorUsername: string;
  /** Undefined: generated at first start and printed once. */
  operatorPassword: string | undefined;
  /** Undefined: a secret generated once and kept under DATA_DIR (embedded) or derived per database. */
  jwtSecret: string | undefined;
  tokenTtlSeconds: number;
  /** Failed sign-ins in a row (per username, whether it exists or not) that lock it. */
  loginLockAfter: number;
  /** How long a locked username stays locked. */
  loginLockSeconds: number;
  /** The longest pause before a failed sign-in is answered (the pause doubles from the third failure). */
  loginDelayMaxMs: number;
  /** How long a replica trusts what it read of an account's standing or an API key (revocation delay bound). */
  authCacheMs: number;
  /** API keys: the lifetime given when the request names none, and the longest one allowed. */
  apiKeyDefaultDays: number;
  apiKeyMaxDays: number;
}

export function readAuthConfig(read: EnvReader): AuthConfig {
  const config: AuthConfig = {
    operatorUsername: read.string('OPERATOR_USERNAME', 'operator'),
    operatorPassword: read.optional('OPERATOR_PASSWORD'),
    jwtSecret: read.optional('JWT_SECRET'),
    tokenTtlSeconds: read.integer('TOKEN_TTL_SECONDS', 86400, 60, 30 * 86400),
    loginLockAfter: read.integer('LOGIN_LOCK_AFTER', 10, 2, 100),
    loginLockSeconds: read.integer('LOGIN_LOCK_SECONDS', 900, 1, 7 * 86400),
    loginDelayMaxMs: read.integer('LOGIN_DELAY_MAX_MS', 2000, 0, 30_000),
    // At most 4 s: with a request's own time on top, a disabled account or a revoked key is
    // refused on every replica within 5 s.
    authCacheMs: read.integer('AUTH_CACHE_MS', 2000, 0, 4000),
    apiKeyDefaultDays: read.integer('API_KEY_DEFAULT_DAYS', 90, 1, 3650),
    apiKeyMaxDays: read.integer('API_KEY_MAX_DAYS', 365, 1, 3650),
  };
  return config;
}

/** Checks that need the whole slice; reported after the node-wide ones, as before the split. */
export function checkAuthConfig(read: EnvReader, config: AuthConfig): void {
  if (config.operatorPassword !== undefined && config.operatorPassword.length < 8) {
    read.problem('OPERATOR_PASSWORD must be at least 8 characters');
  }
  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32) {
    read.problem('JWT_SECRET must be at least 32 characters');
  }
  if (config.apiKeyDefaultDays > config.apiKeyMaxDays) {
    read.problem(`API_KEY_DEFAULT_DAYS (${config.apiKeyDefaultDays}) must not exceed API_KEY_MAX_DAYS (${config.apiKeyMaxDays})`);
  }
  if (!/^[A-Za-z0-9_.-]{1,50}$/.test(config.operatorUsername)) {
    read.problem('OPERATOR_USERNAME must be 1-50 letters, digits, ".", "_" or "-"');
  }
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
