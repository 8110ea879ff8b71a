import type { Provider } from '@nestjs/common';
import type { Env } from '@idis/runtime';
import { AUTH_CONFIG, type AuthConfig, checkAuthConfig, readAuthConfig } from './auth/auth.config';
import { composeConfig } from './config/compose';
import { NODE_CONFIG, type NodeConfig } from './config/node-config';
import { REGISTRY_CONFIG, type RegistryConfig } from './registry/registry.config';
import { RESOLUTION_CONFIG, type ResolutionConfig, readResolutionConfig } from './resolution/resolution.config';
import { STATISTICS_CONFIG, type StatisticsConfig, readStatisticsConfig } from './statistics/statistics.config';
import { INGESTION_CONFIG, type IngestionConfig, readIngestionConfig } from './traceability/ingestion/ingestion-config';
import { MQTT_ACCESS_CONFIG, type MqttAccessConfig, readMqttAccessConfig } from './traceability/mqtt-access/mqtt-access.config';
import { checkUpstreamConfig, readUpstreamConfig, UPSTREAM_CONFIG, type UpstreamConfig } from './upstream/upstream.config';

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
  /** Enterprises' MQTT credentials and how the broker learns them (traceability/mqtt-access/mqtt-access.config.ts). */
  mqttAccess: MqttAccessConfig;
}

/**
 * `overrides` are variables laid over `env` before anything is read, for what the process itself
 * decides at start-up (the embedded profile's top-level node: TOP_LEVEL_URL, ENROLMENT_TOKEN).
 */
export function loadAppConfig(env: Env = process.env, overrides: Env = {}): AppConfig {
  return composeConfig(env, overrides, (read, node) => {
    const auth = readAuthConfig(read);
    const slices = {
      ...auth,
      cache: readResolutionConfig(read),
      statistics: readStatisticsConfig(read),
      ingestion: readIngestionConfig(read, node),
      upstream: readUpstreamConfig(read, node),
      mqttAccess: readMqttAccessConfig(read),
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
    { provide: MQTT_ACCESS_CONFIG, useValue: config.mqttAccess },
  ];
}

export const CONFIG_TOKENS = [NODE_CONFIG, AUTH_CONFIG, RESOLUTION_CONFIG, STATISTICS_CONFIG, INGESTION_CONFIG, UPSTREAM_CONFIG, REGISTRY_CONFIG, MQTT_ACCESS_CONFIG];
