import type { NodeEnvReader } from './node-config';

/**
 * PostgreSQL streaming replicas (read-replicas/read-replicas.ts). With DATABASE_READ_URLS set,
 * resolution misses and heavy reads (listings, statistics, EPCIS queries, trace) go round-robin to
 * the replicas that answer and have replayed the primary's WAL to within `maxLagMs`; every write,
 * and a read of an identifier written since the replicas last caught up, goes to the primary.
 * Unset: exactly the single-database path.
 */
export interface ReadReplicaConfig {
  /** DATABASE_READ_URLS: comma-separated postgres:// URLs of streaming standbys of DATABASE_URL (none by default). */
  urls: string[];
  /** DATABASE_READ_MAX_LAG_MS: a replica further behind than this leaves the rotation until it catches up (default 5000). */
  maxLagMs: number;
  /** DATABASE_READ_POLL_INTERVAL_MS: how often each replica's replay position (and the primary's WAL position) is read (default 200). */
  pollIntervalMs: number;
  /** DATABASE_READ_POOL_SIZE: resolution connections per replica (default 4; heavy reads get HEAVY_READ_POOL_SIZE more). */
  poolSize: number;
}

export const READ_REPLICA_CONFIG = Symbol('READ_REPLICA_CONFIG');

/** At most this many replicas: each costs connections and a poll every interval. */
const MAX_REPLICAS = 16;

export function readReadReplicaConfig(read: NodeEnvReader, databaseUrl: string | undefined): ReadReplicaConfig {
  const config: ReadReplicaConfig = {
    urls: [],
    maxLagMs: read.integer('DATABASE_READ_MAX_LAG_MS', 5000, 10, 3_600_000),
    pollIntervalMs: read.integer('DATABASE_READ_POLL_INTERVAL_MS', 200, 10, 10_000),
    poolSize: read.integer('DATABASE_READ_POOL_SIZE', 4, 1, 50),
  };
  const raw = read.optional('DATABASE_READ_URLS');
  if (raw === undefined) return config;
  const entries = raw.split(',').map((entry) => entry.trim());
  if (!databaseUrl) {
    read.problem('DATABASE_READ_URLS needs DATABASE_URL (the primary): the embedded profile has no replicas');
    return config;
  }
  if (entries.length > MAX_REPLICAS) {
    read.problem(`DATABASE_READ_URLS lists ${entries.length} replicas; at most ${MAX_REPLICAS}`);
    return config;
  }
  const primary = describeDatabase(databaseUrl);
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const position = `DATABASE_READ_URLS entry ${index + 1}`;
    if (entry === '') {
      read.problem(`${position} is empty (a stray comma?)`);
      return;
    }
    const target = describeDatabase(entry);
    if (target === undefined) {
      // The value is not repeated: it may carry a password.
      read.problem(`${position} is not a URL starting with postgres:// or postgresql://`);
      return;
    }
    if (target === primary) {
      read.problem(`${position} (${target}) is DATABASE_URL itself; a read replica must be a streaming standby of it`);
      return;
    }
    if (seen.has(target)) {
      read.problem(`${position} (${target}) is listed twice`);
      return;
    }
    seen.add(target);
    config.urls.push(entry);
  });
  return config;
}

/**
 * host:port/database of a postgres URL, the way two spellings of one server compare equal (host
 * lower-cased, the default port written out); undefined when it does not parse. No credentials.
 */
export function describeDatabase(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return undefined;
  const host = (parsed.hostname || parsed.searchParams.get('host') || 'localhost').toLowerCase().replace(/^localhost$/, '127.0.0.1');
  const port = parsed.port || parsed.searchParams.get('port') || '5432';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  return `${host}:${port}/${database}`;
}
