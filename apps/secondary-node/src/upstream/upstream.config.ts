import type { NodeConfig, NodeEnvReader } from '../config/node-config';

/** The link to the national top-level node. */
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

export function readUpstreamConfig(read: NodeEnvReader, node: Pick<NodeConfig, 'host' | 'port'>): UpstreamConfig {
  const config: UpstreamConfig = {
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
  };
  const publicHost = node.host === '0.0.0.0' || node.host === '::' ? '127.0.0.1' : node.host;
  // PORT=0 (a free port) and no PUBLIC_URL: '' until the server listens (TopLevelLink reads the address then).
  const fallbackPublicUrl = node.port === 0 ? '' : `http://${publicHost}:${node.port}`;
  config.publicUrl = (read.url('PUBLIC_URL', ['http:', 'https:']) ?? fallbackPublicUrl).replace(/\/+$/, '');
  if (config.topLevelUrl && !config.enrolmentToken) {
    read.problem('ENROLMENT_TOKEN is required when TOP_LEVEL_URL is set (the token the top-level node expects at enrolment)');
  }
  if (config.enrolmentToken !== undefined && config.enrolmentToken.length > 256) {
    read.problem('ENROLMENT_TOKEN must be at most 256 characters');
  }
  return config;
}

/** Checked after the node-wide variables, as before the split (problems keep their order). */
export function checkUpstreamConfig(read: NodeEnvReader, config: UpstreamConfig): void {
  if (config.retryMaxMs < config.retryBaseMs) read.problem('UPSTREAM_RETRY_MAX_MS must not be below UPSTREAM_RETRY_BASE_MS');
}

export const UPSTREAM_CONFIG = Symbol('UPSTREAM_CONFIG');
