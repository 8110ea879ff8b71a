import type { EnvReader } from '@idis/runtime';

/** Accounts and tokens. */
export interface AuthConfig {
  operatorUsername: string;
  /** Undefined: generated at first start and printed once. */
  operatorPassword: string | undefined;
  /** Undefined: a secret generated once and kept under DATA_DIR (embedded) or derived per database. */
  jwtSecret: string | undefined;
  tokenTtlSeconds: number;
}

export function readAuthConfig(read: EnvReader): AuthConfig {
  const config: AuthConfig = {
    operatorUsername: read.string('OPERATOR_USERNAME', 'operator'),
    operatorPassword: read.optional('OPERATOR_PASSWORD'),
    jwtSecret: read.optional('JWT_SECRET'),
    tokenTtlSeconds: read.integer('TOKEN_TTL_SECONDS', 86400, 60, 30 * 86400),
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
  if (!/^[A-Za-z0-9_.-]{1,50}$/.test(config.operatorUsername)) {
    read.problem('OPERATOR_USERNAME must be 1-50 letters, digits, ".", "_" or "-"');
  }
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
