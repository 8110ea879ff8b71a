import type { EnvReader } from '@idis/runtime';

/**
 * EPCIS 2.0 named queries and subscriptions (traceability/subscriptions): how many an owner may
 * hold, how deliveries are paced and retried, and whether webhook targets may be private.
 */
export interface SubscriptionsConfig {
  /** EPCIS_NAMED_QUERIES_MAX: named queries one owner (enterprise or account) may hold. */
  maxNamedQueries: number;
  /** EPCIS_SUBSCRIPTIONS_MAX: subscriptions (webhooks + open WebSockets) one owner may hold. */
  maxSubscriptions: number;
  /** EPCIS_SUBSCRIPTION_MAX_IN_FLIGHT: events one subscription may have sent but not acknowledged (one delivery). */
  maxInFlight: number;
  /** EPCIS_SUBSCRIPTION_LINGER_MS: a delivery that is not full goes out once its oldest event was recorded this long ago, at the latest this long after it was queued (fewer, larger deliveries). */
  lingerMs: number;
  /** EPCIS_SUBSCRIPTION_POLL_MS: how often a replica looks for new events without a local wake-up. */
  pollMs: number;
  /** EPCIS_WEBHOOK_TIMEOUT_MS: a webhook receiver must answer within this. */
  webhookTimeoutMs: number;
  /** EPCIS_WEBHOOK_RETRY_BASE_MS / EPCIS_WEBHOOK_RETRY_MAX_MS: exponential backoff of failed deliveries. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** EPCIS_WEBHOOK_ALLOW_PRIVATE: let webhook targets be loopback or private addresses (tests only). */
  allowPrivateTargets: boolean;
  /** How long a replica holds a subscription's delivery lease without renewing it. */
  leaseMs: number;
}

export function readSubscriptionsConfig(read: EnvReader): SubscriptionsConfig {
  const config: SubscriptionsConfig = {
    maxNamedQueries: read.integer('EPCIS_NAMED_QUERIES_MAX', 100, 1, 10_000),
    maxSubscriptions: read.integer('EPCIS_SUBSCRIPTIONS_MAX', 100, 1, 10_000),
    maxInFlight: read.integer('EPCIS_SUBSCRIPTION_MAX_IN_FLIGHT', 100, 1, 10_000),
    lingerMs: read.integer('EPCIS_SUBSCRIPTION_LINGER_MS', 400, 0, 10_000),
    pollMs: read.integer('EPCIS_SUBSCRIPTION_POLL_MS', 200, 20, 60_000),
    webhookTimeoutMs: read.integer('EPCIS_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    retryBaseMs: read.integer('EPCIS_WEBHOOK_RETRY_BASE_MS', 1000, 10, 600_000),
    retryMaxMs: read.integer('EPCIS_WEBHOOK_RETRY_MAX_MS', 300_000, 10, 86_400_000),
    allowPrivateTargets: read.boolean('EPCIS_WEBHOOK_ALLOW_PRIVATE', false),
    leaseMs: 15_000,
  };
  if (config.retryMaxMs < config.retryBaseMs) read.problem('EPCIS_WEBHOOK_RETRY_MAX_MS must not be below EPCIS_WEBHOOK_RETRY_BASE_MS');
  return config;
}

export const SUBSCRIPTIONS_CONFIG = Symbol('SUBSCRIPTIONS_CONFIG');
