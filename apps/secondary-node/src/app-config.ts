import type { Provider } from '@nestjs/common';
import type { Env } from '@idis/runtime';
import { AUTH_CONFIG, type AuthConfig, checkAuthConfig, readAuthConfig } from './auth/auth.config';
import { composeConfig } from './config/compose';
import { HEAVY_READ_CONFIG, type HeavyReadConfig, readHeavyReadConfig } from './config/heavy-read.config';
import { NODE_CONFIG, type NodeConfig } from './config/node-config';
import { READ_REPLICA_CONFIG, type ReadReplicaConfig, readReadReplicaConfig } from './config/read-replicas.config';
import { REGISTRY_CONFIG, type RegistryConfig } from './registry/registry.config';
import { IDENTIFIER_IMPORT_CONFIG, type IdentifierImportConfig, readIdentifierImportConfig } from './registry/identifier-import.config';
import { HANDLE_AUTH_CONFIG, type HandleAuthConfig, readHandleAuthConfig } from './registry/handle-auth/handle-auth.config';
import { RESOLUTION_CONFIG, type ResolutionConfig, readResolutionConfig } from './resolution/resolution.config';
import { STATISTICS_CONFIG, type StatisticsConfig, readStatisticsConfig } from './statistics/statistics.config';
import { INGESTION_CONFIG, type IngestionConfig, readIngestionConfig } from './traceability/ingestion/ingestion-config';
import { HARDENING_CONFIG, type HardeningConfig, readHardeningConfig } from './http/hardening.config';
import { LIMITS_CONFIG, type LimitsConfig, readLimitsConfig } from './limits/limits.config';
import { MQTT_ACCESS_CONFIG, type MqttAccessConfig, readMqttAccessConfig } from './traceability/mqtt-access/mqtt-access.config';
import { checkUpstreamConfig, readUpstreamConfig, UPSTREAM_CONFIG, type UpstreamConfig } from './upstream/upstream.config';
import { AUDIT_CONFIG, type AuditConfig, readAuditConfig } from './audit/audit.config';
import { LOGGING_CONFIG, type LoggingConfig, readLoggingConfig } from './logging/logging.config';
import { LABELS_CONFIG, type LabelsConfig, readLabelsConfig } from './labels/labels.config';
import { readSubscriptionsConfig, SUBSCRIPTIONS_CONFIG, type SubscriptionsConfig } from './traceability/subscriptions/subscriptions.config';
import { HANDLE_PROTOCOL_CONFIG, type HandleProtocolConfig, readHandleProtocolConfig } from './handle-protocol/handle-protocol.config';

/**
 * Everything the secondary node reads from its environment, validated once at boot: the node-wide
 * slice and the accounts settings at the top, each capability's slice under its name. A bad value
 * stops start-up with one ConfigError naming every variable at fault.
 */
export interface AppConfig extends NodeConfig, AuthConfig {
  cache: ResolutionConfig;
  statistics: StatisticsConfig;
  /** EPCIS ingestion over MQTT and capture (traceability/ingestion/ingestion-config.ts). */
  ingestion: IngestionConfig;
  upstream: UpstreamConfig;
  /** Handle.Net REST authentication: challenge–response session bounds (registry/handle-auth). */
  handleAuth: HandleAuthConfig;
  /** The heavy-read pool: trace, EPCIS queries, listings, statistics (config/heavy-read.config.ts). */
  heavyReads: HeavyReadConfig;
  /** PostgreSQL streaming replicas for resolution misses and heavy reads (config/read-replicas.config.ts). */
  readReplicas: ReadReplicaConfig;
  /** Rate limits and quotas (limits/limits.config.ts). */
  limits: LimitsConfig;
  /** HTTP hardening: CORS, security headers, size limits, timeouts (http/hardening.config.ts). */
  hardening: HardeningConfig;
  /** Retention and export bounds of the audit log (audit/audit.config.ts). */
  audit: AuditConfig;
  /** LOG_LEVEL (as pino reads it), LOG_FORMAT, LOG_RESOLUTION_SAMPLE_RATE (logging/logging.config.ts). */
  logging: LoggingConfig;
  /** Enterprises' MQTT credentials and how the broker learns them (traceability/mqtt-access/mqtt-access.config.ts). */
  mqttAccess: MqttAccessConfig;
  /** The CJK font of label sheets: LABEL_FONT (labels/labels.config.ts). */
  labels: LabelsConfig;
  /** Bounds of a CSV import of identifiers: IMPORT_MAX_BYTES, IMPORT_MAX_ROWS (registry/identifier-import.config.ts). */
  imports: IdentifierImportConfig;
  /** EPCIS named queries and subscriptions (traceability/subscriptions/subscriptions.config.ts). */
  subscriptions: SubscriptionsConfig;
  /** The Handle protocol listeners on UDP and TCP (handle-protocol/handle-protocol.config.ts). */
  handleProtocol: HandleProtocolConfig;
  /** The built web console served at /console/ (CONSOLE_DIR); undefined: dist/console of this checkout. */
  consoleDir: string | undefined;
}

/**
 * `overrides` are variables laid over `env` before anything is read, for what the process itself
 * decides at start-up (the embedded profile's top-level node: TOP_LEVEL_URL, ENROLMENT_TOKEN).
 */
export function loadAppConfig(env: Env = process.env, overrides: Env = {}): AppConfig {
  return composeConfig(env, overrides, (read, node) => {
    const auth = readAuthConfig(read);
    const cache = readResolutionConfig(read);
    const slices = {
      ...auth,
      cache,
      statistics: readStatisticsConfig(read),
      ingestion: readIngestionConfig(read, node),
      upstream: readUpstreamConfig(read, node),
      handleAuth: readHandleAuthConfig(read, cache),
      heavyReads: readHeavyReadConfig(read),
      readReplicas: readReadReplicaConfig(read, node.databaseUrl),
      limits: readLimitsConfig(read, cache),
      hardening: readHardeningConfig(read),
      audit: readAuditConfig(read),
      logging: readLoggingConfig(read, node),
      mqttAccess: readMqttAccessConfig(read),
      labels: readLabelsConfig(read),
      imports: readIdentifierImportConfig(read),
      subscriptions: readSubscriptionsConfig(read),
      handleProtocol: readHandleProtocolConfig(read, node),
      consoleDir: read.optional('CONSOLE_DIR'),
    };
    checkUpstreamConfig(read, slices.upstream);
    checkAuthConfig(read, auth);
    return slices;
  });
}

/** One provider per slice: each capability injects only its own. */
export function configProviders(config: AppConfig): Provider[] {
  const registry: RegistryConfig = { filingRequired: config.upstream.topLevelUrl !== undefined };
  return [
    { provide: NODE_CONFIG, useValue: config },
    { provide: AUTH_CONFIG, useValue: config },
    { provide: RESOLUTION_CONFIG, useValue: config.cache },
    { provide: STATISTICS_CONFIG, useValue: config.statistics },
    { provide: INGESTION_CONFIG, useValue: config.ingestion },
    { provide: UPSTREAM_CONFIG, useValue: config.upstream },
    { provide: REGISTRY_CONFIG, useValue: registry },
    { provide: HANDLE_AUTH_CONFIG, useValue: config.handleAuth },
    { provide: HEAVY_READ_CONFIG, useValue: config.heavyReads },
    { provide: READ_REPLICA_CONFIG, useValue: config.readReplicas },
    { provide: LIMITS_CONFIG, useValue: config.limits },
    { provide: HARDENING_CONFIG, useValue: config.hardening },
    { provide: AUDIT_CONFIG, useValue: config.audit },
    { provide: LOGGING_CONFIG, useValue: config.logging },
    { provide: MQTT_ACCESS_CONFIG, useValue: config.mqttAccess },
    { provide: LABELS_CONFIG, useValue: config.labels },
    { provide: IDENTIFIER_IMPORT_CONFIG, useValue: config.imports },
    { provide: SUBSCRIPTIONS_CONFIG, useValue: config.subscriptions },
    { provide: HANDLE_PROTOCOL_CONFIG, useValue: config.handleProtocol },
  ];
}


export const CONFIG_TOKENS = [NODE_CONFIG, AUTH_CONFIG, RESOLUTION_CONFIG, STATISTICS_CONFIG, INGESTION_CONFIG, UPSTREAM_CONFIG, REGISTRY_CONFIG, HANDLE_AUTH_CONFIG, HEAVY_READ_CONFIG, READ_REPLICA_CONFIG, LIMITS_CONFIG, HARDENING_CONFIG, AUDIT_CONFIG, LOGGING_CONFIG, MQTT_ACCESS_CONFIG, LABELS_CONFIG, IDENTIFIER_IMPORT_CONFIG, SUBSCRIPTIONS_CONFIG, HANDLE_PROTOCOL_CONFIG];
