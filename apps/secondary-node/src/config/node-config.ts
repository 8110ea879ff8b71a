import { parsePrefix } from '@idis/identifier';
import { ConfigError, type Env, EnvReader } from '@idis/runtime';

/**
 * What every part of the secondary node shares: where it listens, its database, its identity.
 * Each capability reads its own slice beside its code (resolution.config.ts, upstream.config.ts,
 * auth.config.ts, statistics.config.ts, ingestion-config.ts); app-config.ts composes them.
 */
export interface NodeConfig {
  /** 'embedded' when no DATABASE_URL is given: PostgreSQL is started in-process. */
  profile: 'embedded' | 'services';
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPostgresPort: number;
  secondaryPrefix: string;
  nodeId: string;
  bodyLimitBytes: number;
  logLevel: LogLevel;
}

/** pino's levels, plus Nest's names `log` (= info) and `verbose` (= trace) accepted as before. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'log' | 'debug' | 'verbose' | 'trace';

/** Thrown with every problem at once; `main` exits with code 2 (loadConfigOrExit). */
export { ConfigError, type Env };

/** The shared reader plus what only the secondary node reads. */
export class NodeEnvReader extends EnvReader {
  /** host:port (a grpc-js target); an optional leading "grpc://" or "http://" is dropped. */
  hostPort(name: string): string | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    const bare = raw.replace(/^(grpc|http):\/\//, '');
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(bare);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      this.problem(`${name} must be host:port of the top-level gRPC service (e.g. 127.0.0.1:50051), got "${raw}"`);
      return undefined;
    }
    return bare;
  }

  prefix(name: string, fallback: string): string {
    const raw = this.string(name, fallback);
    try {
      return parsePrefix(raw).prefix;
    } catch (error) {
      this.problem(`${name} must be a handle prefix such as 88.118: ${(error as Error).message}`);
      return fallback;
    }
  }
}

export function readNodeConfig(read: NodeEnvReader, env: Env): NodeConfig {
  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const requestedProfile = read.oneOf('IDIS_PROFILE', ['embedded', 'services'] as const, databaseUrl ? 'services' : 'embedded');
  if (requestedProfile === 'services' && !databaseUrl && env.DATABASE_URL === undefined) {
    read.problem('DATABASE_URL is required in the services profile (IDIS_PROFILE=services, npm run start:node)');
  }
  const config: NodeConfig = {
    profile: databaseUrl ? 'services' : 'embedded',
    host: read.string('HOST', databaseUrl ? '0.0.0.0' : '127.0.0.1'),
    port: read.port('PORT', 8080),
    databaseUrl,
    dataDir: read.string('DATA_DIR', '.data'),
    embeddedPostgresPort: read.port('EMBEDDED_PG_PORT', 54329),
    secondaryPrefix: read.prefix('SECONDARY_PREFIX', '88.118'),
    nodeId: read.string('NODE_ID', 'secondary-1'),
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 8 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'log', 'debug', 'verbose', 'trace'] as const, 'info'),
  };
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(config.nodeId)) {
    read.problem('NODE_ID must be 1-64 letters, digits, ".", "_" or "-"');
  }
  return config;
}

/** The node-wide slice; capabilities inject it for the node id, secondary prefix and addresses. */
export const NODE_CONFIG = Symbol('NODE_CONFIG');
