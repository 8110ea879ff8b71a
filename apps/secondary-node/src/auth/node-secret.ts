import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeConfig } from '../config/node-config';
import type { AuthConfig } from './auth.config';

export const NODE_SECRET = Symbol('NODE_SECRET');

/**
 * The secret that signs tokens and seals password digests. JWT_SECRET wins; the embedded profile
 * keeps a generated one under the data directory so tokens survive a restart; otherwise a random
 * per-process secret is used (fine for one process, wrong for replicas — hence the warning).
 */
export function resolveNodeSecret(config: Pick<NodeConfig, 'profile' | 'dataDir'> & Pick<AuthConfig, 'jwtSecret'>): string {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.profile === 'embedded') {
    const file = join(config.dataDir, 'node-secret');
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    mkdirSync(config.dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
  new Logger('Config').warn('JWT_SECRET is not set: using a random secret for this process only; set it when running replicas');
  return randomBytes(32).toString('base64url');
}
