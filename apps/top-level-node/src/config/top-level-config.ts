import { ConfigError, type Env, EnvReader } from '@idis/runtime';

/**
 * Everything the simulated national top-level node reads from its environment, validated once at
 * boot. A bad value stops start-up with a message that names the variable and what it expects.
 */
export interface TopLevelConfig {
  host: string;
  /** 0: pick a free port (the embedded profile of the secondary node does that and reads TOP_LEVEL_READY). */
  grpcPort: number;
  httpPort: number;
  databaseUrl: string;
  /** The shared secret a secondary node must present at enrolment. */
  enrolmentToken: string;
  /** When set, node secrets are stored sealed (AES-256-GCM) under a key derived from it; otherwise in plain. */
  secretSealingKey: string | undefined;
  /** When set, mutating HTTP endpoints (review, simulation) require `Authorization: Bearer <token>`. */
  adminToken: string | undefined;
  /** The built operator's page served at /console/ (TOP_LEVEL_CONSOLE_DIR); undefined: dist/top-level-console of this checkout. */
  consoleDir: string | undefined;
  filingReview: 'auto' | 'manual';
  filingReviewDelayMs: number;
  /** How often pending filings whose delay has elapsed are looked for (also after a restart). */
  reviewSweepIntervalMs: number;
  resolveTtlSeconds: number;
  notFoundTtlSeconds: number;
  /** Periods suggested to nodes at enrolment; the node list calls a node online within 3 heartbeat intervals. */
  heartbeatIntervalSeconds: number;
  reportIntervalSeconds: number;
  iiidapRateLimitPerMinute: number;
  /** Initial simulation knobs (changeable at run time through PUT /api/v1/simulation). */
  simulation: { latencyMs: number; errorRate: number; down: boolean };
  logLevel: LogLevel;
}

export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** Thrown with every problem at once; `main` exits with code 2 (loadConfigOrExit). */
export { ConfigError };

export const MIN_ENROLMENT_TOKEN_LENGTH = 16;

export function loadTopLevelConfig(env: Env = process.env): TopLevelConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (databaseUrl === undefined && read.optional('DATABASE_URL') === undefined) {
    problems.push('DATABASE_URL is required (postgres://user@host:port/database of the top-level node’s own database)');
  }
  const enrolmentToken = read.optional('ENROLMENT_TOKEN');
  if (enrolmentToken === undefined) {
    problems.push(`ENROLMENT_TOKEN is required (at least ${MIN_ENROLMENT_TOKEN_LENGTH} characters; secondary nodes present it at enrolment)`);
  } else if (enrolmentToken.length < MIN_ENROLMENT_TOKEN_LENGTH || enrolmentToken.length > 512) {
    problems.push(`ENROLMENT_TOKEN must be ${MIN_ENROLMENT_TOKEN_LENGTH} to 512 characters, got ${enrolmentToken.length}`);
  }
  const secretSealingKey = read.optional('TOP_LEVEL_SECRET');
  if (secretSealingKey !== undefined && secretSealingKey.length < 32) problems.push('TOP_LEVEL_SECRET must be at least 32 characters');
  const adminToken = read.optional('TOP_LEVEL_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) problems.push('TOP_LEVEL_ADMIN_TOKEN must be at least 16 characters');

  const config: TopLevelConfig = {
    host: read.string('HOST', '127.0.0.1'),
    grpcPort: read.port('TOP_LEVEL_GRPC_PORT', 50051),
    httpPort: read.port('TOP_LEVEL_HTTP_PORT', 8090),
    databaseUrl: databaseUrl ?? '',
    enrolmentToken: enrolmentToken ?? '',
    secretSealingKey,
    adminToken,
    consoleDir: read.optional('TOP_LEVEL_CONSOLE_DIR'),
    filingReview: read.oneOf('FILING_REVIEW', ['auto', 'manual'] as const, 'auto'),
    filingReviewDelayMs: read.integer('FILING_REVIEW_DELAY_MS', 1000, 0, 7 * 86_400_000),
    reviewSweepIntervalMs: read.integer('FILING_REVIEW_SWEEP_INTERVAL_MS', 1000, 20, 3_600_000),
    resolveTtlSeconds: read.integer('RESOLVE_TTL_SECONDS', 300, 0, 172_800),
    notFoundTtlSeconds: read.integer('RESOLVE_NOT_FOUND_TTL_SECONDS', 30, 0, 86_400),
    heartbeatIntervalSeconds: read.integer('TOP_LEVEL_HEARTBEAT_INTERVAL_SECONDS', 30, 1, 3600),
    reportIntervalSeconds: read.integer('TOP_LEVEL_REPORT_INTERVAL_SECONDS', 60, 1, 86_400),
    iiidapRateLimitPerMinute: read.integer('IIIDAP_RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    simulation: {
      latencyMs: read.integer('SIMULATION_LATENCY_MS', 0, 0, 60_000),
      errorRate: read.fraction('SIMULATION_ERROR_RATE', 0),
      down: read.boolean('SIMULATION_DOWN', false),
    },
    logLevel: read.oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug', 'verbose'] as const, 'log'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const TOP_LEVEL_CONFIG = Symbol('TOP_LEVEL_CONFIG');
