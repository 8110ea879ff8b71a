import type { EnvReader } from '@idis/runtime';

/**
 * Who may use the MQTT broker (traceability/mqtt-access). Enterprises get credentials from the node;
 * the broker learns them in one of these ways:
 * - the embedded aedes broker (embedded profile) asks the node directly: nothing to configure;
 * - MQTT_BROKER_ACCOUNTS=dynsec: the node manages Mosquitto's dynamic-security plugin through its
 *   control topic with MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD (accounts, a role per prefix, a
 *   reconciliation at start-up and every MQTT_RECONCILE_SECONDS);
 * - MQTT_BROKER_ACCOUNTS=http: the broker (EMQX 5) asks the node's POST /api/v1/mqtt/auth and
 *   /api/v1/mqtt/acl, which answer only with the header `X-MQTT-Auth-Secret: MQTT_AUTH_SECRET`;
 * - none (default for an external broker): the node stores credentials but the broker is
 *   configured by hand (tests on a shared anonymous broker).
 */
export interface MqttAccessConfig {
  brokerAccounts: 'none' | 'dynsec' | 'http';
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  /** The dynamic-security plugin's control topic. */
  dynsecControlTopic: string;
  /** Shared secret the broker sends to the HTTP auth/ACL endpoints (MQTT_BROKER_ACCOUNTS=http). */
  authSecret: string | undefined;
  /** Credentials an enterprise may hold at once (not revoked). */
  maxCredentialsPerEnterprise: number;
  reconcileIntervalMs: number;
}

export function readMqttAccessConfig(read: EnvReader): MqttAccessConfig {
  const mode = read.string('MQTT_BROKER_ACCOUNTS', 'none');
  if (mode !== 'none' && mode !== 'dynsec' && mode !== 'http') read.problem(`MQTT_BROKER_ACCOUNTS must be none, dynsec or http, got "${mode}"`);
  const config: MqttAccessConfig = {
    brokerAccounts: mode === 'dynsec' || mode === 'http' ? mode : 'none',
    adminUsername: read.optional('MQTT_ADMIN_USERNAME'),
    adminPassword: read.optional('MQTT_ADMIN_PASSWORD'),
    dynsecControlTopic: '$CONTROL/dynamic-security/v1',
    authSecret: read.optional('MQTT_AUTH_SECRET'),
    maxCredentialsPerEnterprise: read.integer('MQTT_MAX_CREDENTIALS_PER_ENTERPRISE', 10, 1, 1000),
    reconcileIntervalMs: read.integer('MQTT_RECONCILE_SECONDS', 60, 5, 86_400) * 1000,
  };
  if (config.brokerAccounts === 'dynsec' && (!config.adminUsername || !config.adminPassword)) {
    read.problem('MQTT_BROKER_ACCOUNTS=dynsec needs MQTT_ADMIN_USERNAME and MQTT_ADMIN_PASSWORD (the dynamic-security admin account)');
  }
  if (config.brokerAccounts === 'dynsec' && read.optional('MQTT_URL') === undefined) read.problem('MQTT_BROKER_ACCOUNTS=dynsec needs MQTT_URL (the Mosquitto whose accounts the node manages)');
  if (config.brokerAccounts === 'http' && (config.authSecret === undefined || config.authSecret.length < 32)) {
    read.problem('MQTT_BROKER_ACCOUNTS=http needs MQTT_AUTH_SECRET of at least 32 characters (the broker sends it as X-MQTT-Auth-Secret)');
  }
  return config;
}

export const MQTT_ACCESS_CONFIG = Symbol('MQTT_ACCESS_CONFIG');
