import { parsePrefix } from '@idis/identifier';
import { ConfigError, type Env, EnvReader } from '@idis/runtime';
import { type IngestionConfig, readIngestionConfig } from '../traceability/ingestion/ingestion-config';

/**
 * Everything the secondary node reads from its environment, validated once at boot.
 * A bad value stops start-up with a message that names the variable and what it expects.
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
  operatorUsername: string;
  operatorPassword: string | undefined;
  jwtSecret: string | undefined;
  tokenTtlSeconds: number;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  cache: CacheConfig;
  statistics: { flushIntervalMs: number };
  /** EPCIS ingestion over MQTT and capture (traceability/ingestion/ingestion-config.ts). */
  ingestion: IngestionConfig;
  upstream: UpstreamConfig;
}

/** The link to the national top-level node (upstream/). */
export interface UpstreamConfig {
  /** host:port of the top-level gRPC service; undefined = unlinked (approved prefixes activate at once). */
  topLevelUrl: string | undefined;
  enrolmentToken: string | undefined;
  /** Base URL other nodes use to reach this node's Handle REST API and proxy ('' = from the listening address). */
  publicUrl: string;
  reportIntervalMs: number;
  heartbeatIntervalMs: number;
  pollIntervalMs: number;
  /** Outbox delivery: first retry delay, cap of the exponential backoff, and when an item is given up. */
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  callTimeoutMs: number;
  /** Fetching a record from another secondary node. */
  remoteFetchTimeoutMs: number;
}

/** Resolution caches: L1 in-process LRU, L2 Redis (only when REDIS_URL is set). */
export interface CacheConfig {
  redisUrl: string | undefined;
  l1Enabled: boolean;
  l2Enabled: boolean;
  l1MaxEntries: number;
  l1MaxBytes: number;
  /** How long a "not found" is cached. */
  negativeTtlSeconds: number;
  /** L1 lifetime while the invalidation channel is down, so replicas cannot stay stale for long. */
  l1DetachedTtlSeconds: number;
  /** Namespace of every Redis key and channel of this node (tests isolate themselves with it). */
  redisKeyPrefix: string;
  redisCommandTimeoutMs: number;
  /** Consecutive Redis failures that open the breaker, and how long it stays open before a probe. */
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
}

export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** Thrown with every problem at once; `main` exits with code 2 (loadConfigOrExit). */
export { ConfigError };

export function loadNodeConfig(env: Env = process.env): NodeConfig {
  const problems: string[] = [];
  const read = new NodeEnvReader(env, problems);

  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const requestedProfile = read.oneOf('IDIS_PROFILE', ['embedded', 'services'] as const, databaseUrl ? 'services' : 'embedded');
  if (requestedProfile === 'services' && !databaseUrl && env.DATABASE_URL === undefined) {
    problems.push('DATABASE_URL is required in the services profile (IDIS_PROFILE=services, npm run start:node)');
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
    operatorUsername: read.string('OPERATOR_USERNAME', 'operator'),
    operatorPassword: read.optional('OPERATOR_PASSWORD'),
    jwtSecret: read.optional('JWT_SECRET'),
    tokenTtlSeconds: read.integer('TOKEN_TTL_SECONDS', 86400, 60, 30 * 86400),
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 8 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    logLevel: read.oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug', 'verbose'] as const, 'log'),
    cache: {
      redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
      l1Enabled: read.boolean('CACHE_L1_ENABLED', true),
      l2Enabled: read.boolean('CACHE_L2_ENABLED', true),
      l1MaxEntries: read.integer('CACHE_L1_MAX_ENTRIES', 200_000, 1, 50_000_000),
      l1MaxBytes: read.integer('CACHE_L1_MAX_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
      negativeTtlSeconds: read.integer('CACHE_NEGATIVE_TTL_SECONDS', 30, 0, 3600),
      l1DetachedTtlSeconds: read.integer('CACHE_L1_DETACHED_TTL_SECONDS', 5, 0, 3600),
      redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'idis:'),
      redisCommandTimeoutMs: read.integer('REDIS_COMMAND_TIMEOUT_MS', 250, 1, 60_000),
      breakerFailureThreshold: read.integer('REDIS_BREAKER_FAILURES', 3, 1, 1000),
      breakerCooldownMs: read.integer('REDIS_BREAKER_COOLDOWN_MS', 2000, 10, 600_000),
    },
    statistics: {
      flushIntervalMs: read.integer('STATS_FLUSH_INTERVAL_MS', 5000, 50, 600_000),
    },
    ingestion: readIngestionConfig(env, problems, databaseUrl ? 'services' : 'embedded', read.string('NODE_ID', 'secondary-1')),
    upstream: {
      topLevelUrl: read.hostPort('TOP_LEVEL_URL'),
      enrolmentToken: read.optional('ENROLMENT_TOKEN'),
      publicUrl: '',
      reportIntervalMs: read.integer('UPSTREAM_REPORT_INTERVAL_MS', 60_000, 100, 86_400_000),
      heartbeatIntervalMs: read.integer('UPSTREAM_HEARTBEAT_INTERVAL_MS', 30_000, 100, 3_600_000),
      pollIntervalMs: read.integer('UPSTREAM_POLL_INTERVAL_MS', 2000, 50, 3_600_000),
      retryBaseMs: read.integer('UPSTREAM_RETRY_BASE_MS', 1000, 10, 3_600_000),
      retryMaxMs: read.integer('UPSTREAM_RETRY_MAX_MS', 300_000, 10, 86_400_000),
      maxAttempts: read.integer('UPSTREAM_MAX_ATTEMPTS', 1000, 1, 1_000_000),
      callTimeoutMs: read.integer('TOP_LEVEL_CALL_TIMEOUT_MS', 5000, 50, 600_000),
      remoteFetchTimeoutMs: read.integer('REMOTE_FETCH_TIMEOUT_MS', 5000, 50, 600_000),
    },
  };
  const publicHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  // PORT=0 (a free port) and no PUBLIC_URL: '' until the server listens (TopLevelLink reads the address then).
  const fallbackPublicUrl = config.port === 0 ? '' : `http://${publicHost}:${config.port}`;
  config.upstream.publicUrl = (read.url('PUBLIC_URL', ['http:', 'https:']) ?? fallbackPublicUrl).replace(/\/+$/, '');
  if (config.upstream.topLevelUrl && !config.upstream.enrolmentToken) {
    problems.push('ENROLMENT_TOKEN is required when TOP_LEVEL_URL is set (the token the top-level node expects at enrolment)');
  }
  if (config.upstream.enrolmentToken !== undefined && config.upstream.enrolmentToken.length > 256) {
    problems.push('ENROLMENT_TOKEN must be at most 256 characters');
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(config.nodeId)) {
    problems.push('NODE_ID must be 1-64 letters, digits, ".", "_" or "-"');
  }
  if (config.upstream.retryMaxMs < config.upstream.retryBaseMs) {
    problems.push('UPSTREAM_RETRY_MAX_MS must not be below UPSTREAM_RETRY_BASE_MS');
  }
  if (config.operatorPassword !== undefined && config.operatorPassword.length < 8) {
    problems.push('OPERATOR_PASSWORD must be at least 8 characters');
  }
  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  }
  if (!/^[A-Za-z0-9_.-]{1,50}$/.test(config.operatorUsername)) {
    problems.push('OPERATOR_USERNAME must be 1-50 letters, digits, ".", "_" or "-"');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The shared reader plus what only the secondary node reads. */
class NodeEnvReader extends EnvReader {
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

export const NODE_CONFIG = Symbol('NODE_CONFIG');
