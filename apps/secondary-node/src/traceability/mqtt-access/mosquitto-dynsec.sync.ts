import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventHub } from '../../events/event-hub';
import { INGESTION_CONFIG, type IngestionConfig } from '../ingestion/ingestion-config';
import { type DynsecCommand, DynsecClient } from './dynsec-client';
import { MQTT_ACCESS_CONFIG, type MqttAccessConfig } from './mqtt-access.config';
import { type BrokerAccountSync, MANAGED_USERNAME_PREFIX, MqttAccessService, type NewBrokerAccount } from './mqtt-access.service';
import { MqttCredentialRepository } from './mqtt-credential.repository';
import { FEEDBACK_TOPICS } from './topic-policy';

/** Roles the node manages: one per enterprise prefix, and the node consumer's own. */
export const PREFIX_ROLE_PREFIX = 'idis-prefix-';
export const NODE_ROLE = 'idis-node';

interface Acl {
  acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern' | 'unsubscribeLiteral' | 'unsubscribePattern';
  topic: string;
  allow: boolean;
  priority: number;
}

export function prefixRoleName(prefixKey: string): string {
  return `${PREFIX_ROLE_PREFIX}${prefixKey}`;
}

/**
 * The ACLs of an enterprise prefix's role: publish anywhere under `{root}/{prefix}/` except the
 * node's feedback topics, subscribe to those feedback topics only. Mosquitto compares topics byte
 * for byte, so both the enterprise's spelling of the prefix and its lower-cased key are granted.
 */
export function prefixRoleAcls(topicRoot: string, prefix: { prefix: string; prefixKey: string }): Acl[] {
  const acls: Acl[] = [];
  for (const spelling of [...new Set([prefix.prefixKey, prefix.prefix])]) {
    acls.push({ acltype: 'publishClientSend', topic: `${topicRoot}/${spelling}/#`, allow: true, priority: 0 });
    for (const feedback of FEEDBACK_TOPICS) {
      acls.push({ acltype: 'publishClientSend', topic: `${topicRoot}/${spelling}/${feedback}`, allow: false, priority: 10 });
      acls.push({ acltype: 'subscribeLiteral', topic: `${topicRoot}/${spelling}/${feedback}`, allow: true, priority: 0 });
    }
  }
  return acls;
}

/** The node consumer's role: its (shared) subscription to every enterprise's events, the $SYS counters, and the feedback topics it publishes. */
export function nodeRoleAcls(topicRoot: string, shareGroup: string): Acl[] {
  return [
    { acltype: 'subscribePattern', topic: `${topicRoot}/+/events`, allow: true, priority: 0 },
    { acltype: 'subscribePattern', topic: `$share/${shareGroup}/${topicRoot}/+/events`, allow: true, priority: 0 },
    { acltype: 'subscribePattern', topic: '$SYS/#', allow: true, priority: 0 },
    ...FEEDBACK_TOPICS.map((feedback): Acl => ({ acltype: 'publishClientSend', topic: `${topicRoot}/+/${feedback}`, allow: true, priority: 0 })),
  ];
}

const EXISTS = /already exists/i;
const NOT_FOUND = /not found/i;

/**
 * Keeps Mosquitto's dynamic-security accounts equal to the node's database (MQTT_BROKER_ACCOUNTS=dynsec),
 * through the plugin's control topic with the admin account of MQTT_ADMIN_USERNAME/PASSWORD:
 * - a new credential becomes a client (inside the creating transaction: if the broker refuses, no
 *   credential is created) with the role of each active prefix of its enterprise;
 * - a revoked credential's client is deleted (which disconnects it); inside a deactivation, whose
 *   transaction may still roll back, it is only disabled, and the reconciliation finishes the job;
 * - the reconciliation (at start-up, every MQTT_RECONCILE_SECONDS and when prefixes change) makes
 *   the broker match the database: clients under the node's naming (`idis-e-…`) that the database
 *   does not hold in force are deleted, clients' prefix roles follow their enterprise's active
 *   prefixes, unused prefix roles go, and the node consumer's account (MQTT_USERNAME/PASSWORD) exists
 *   with its role. The database is the source of truth; a credential the broker lost cannot be
 *   restored (only its digest is kept) and is reported, to be revoked and issued again.
 */
@Injectable()
export class MosquittoDynsecSync implements BrokerAccountSync, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MosquittoDynsec');
  private client: DynsecClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<ReconcileReport> | undefined;
  private again = false;
  private stopped = false;
  private nodeAccountChecked = false;
  lastReport: ReconcileReport | undefined;

  constructor(
    @Inject(MQTT_ACCESS_CONFIG) private readonly config: MqttAccessConfig,
    @Inject(INGESTION_CONFIG) private readonly ingestion: IngestionConfig,
    private readonly access: MqttAccessService,
    private readonly credentials: MqttCredentialRepository,
    events: EventHub,
  ) {
    if (config.brokerAccounts !== 'dynsec') return;
    events.on('prefix.homed', () => void this.reconcileSoon());
    events.on('prefix.unhomed', () => void this.reconcileSoon());
  }

  async onModuleInit(): Promise<void> {
    if (this.config.brokerAccounts !== 'dynsec') return;
    if (!this.ingestion.mqttUrl) throw new Error('MQTT_BROKER_ACCOUNTS=dynsec needs MQTT_URL (the Mosquitto whose accounts the node manages)');
    this.client = new DynsecClient(this.ingestion.mqttUrl, this.config.adminUsername as string, this.config.adminPassword as string, this.config.dynsecControlTopic);
    this.access.attach(this);
    // Start-up waits for the first reconciliation only while the broker answers quickly; otherwise the timer retries.
    const started = this.client.start().then(() => this.reconcile());
    started.catch((error: Error) => this.logger.warn(`Mosquitto dynamic security not reconciled yet: ${error.message}`));
    await Promise.race([started.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    this.timer = setInterval(() => void this.reconcileSoon(), this.config.reconcileIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
    await this.client?.stop();
  }

  async accountCreated(account: NewBrokerAccount): Promise<void> {
    const client = this.requireClient();
    for (const prefix of account.prefixes) await this.ensurePrefixRole(prefix);
    await client.run({
      command: 'createClient',
      username: account.username,
      password: account.password,
      textname: 'IDIS enterprise credential (managed by the secondary node)',
      roles: account.prefixes.map((p) => ({ rolename: prefixRoleName(p.prefixKey) })),
    });
  }

  async accountsRevoked(usernames: string[], committed: boolean): Promise<void> {
    const client = this.requireClient();
    const command = committed ? 'deleteClient' : 'disableClient';
    const responses = await client.send(usernames.map((username) => ({ command, username })));
    const failed = responses.filter((r) => r.error && !NOT_FOUND.test(r.error));
    if (failed.length > 0) throw new Error(`${command}: ${failed.map((r) => r.error).join('; ')}`);
  }

  /** Runs a reconciliation now, or once more after the one running (changes may have come in meanwhile). */
  reconcileSoon(): Promise<ReconcileReport | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    if (this.reconciling) {
      this.again = true;
      return this.reconciling.catch(() => undefined);
    }
    return this.reconcile().catch((error: Error) => {
      this.logger.warn(`Mosquitto dynamic security reconciliation failed: ${error.message}`);
      return undefined;
    });
  }

  /** A full reconciliation that starts after any running one: its report reflects the state from now on. */
  async reconcile(): Promise<ReconcileReport> {
    while (this.reconciling) await this.reconciling.catch(() => undefined);
    const run = this.reconcileOnce()
      .then((report) => {
        this.lastReport = report;
        const changes = report.deletedClients.length + report.rolesChanged + report.enabledClients.length + report.deletedRoles.length;
        if (changes > 0 || report.unknownToBroker.length > 0) {
          this.logger.log(
            `reconciled: ${report.deletedClients.length} client(s) deleted, ${report.enabledClients.length} re-enabled, ${report.rolesChanged} role assignment(s) changed, ${report.deletedRoles.length} role(s) deleted` +
              (report.unknownToBroker.length > 0 ? `; ${report.unknownToBroker.length} credential(s) missing on the broker (revoke and issue them again): ${report.unknownToBroker.join(', ')}` : ''),
          );
        }
        return report;
      })
      .finally(() => {
        this.reconciling = undefined;
        if (this.again) {
          this.again = false;
          void this.reconcileSoon();
        }
      });
    this.reconciling = run;
    return run;
  }

  /** Under the accounts lock: no credential commits (or rolls back) its broker account meanwhile. */
  private reconcileOnce(): Promise<ReconcileReport> {
    return this.credentials.withAccountsLocked((manager) => this.compareAndFix(manager));
  }

  private async compareAndFix(manager: EntityManager): Promise<ReconcileReport> {
    const client = this.requireClient();
    const report: ReconcileReport = { deletedClients: [], enabledClients: [], rolesChanged: 0, deletedRoles: [], unknownToBroker: [] };
    await client.run({
      command: 'setDefaultACLAccess',
      acls: [
        { acltype: 'publishClientSend', allow: false },
        { acltype: 'subscribe', allow: false },
      ],
    });
    await this.ensureNodeAccount();

    const inForce = await this.credentials.listInForce(manager);
    const wanted = new Map(inForce.map((c) => [c.username, c]));
    const neededRoles = new Map<string, { prefix: string; prefixKey: string }>();
    for (const credential of inForce) for (const prefix of credential.prefixes) neededRoles.set(prefixRoleName(prefix.prefixKey), prefix);
    for (const prefix of neededRoles.values()) await this.ensurePrefixRole(prefix);

    const brokerClients = ((await client.run({ command: 'listClients', verbose: false, count: -1, offset: 0 })).data?.clients ?? []) as string[];
    const present = new Set<string>();
    for (const username of brokerClients.filter((u) => u.startsWith(MANAGED_USERNAME_PREFIX))) {
      const credential = wanted.get(username);
      if (!credential) {
        await client.run({ command: 'deleteClient', username }, NOT_FOUND);
        report.deletedClients.push(username);
        continue;
      }
      present.add(username);
      const detail = (await client.run({ command: 'getClient', username })).data?.client as { roles?: Array<{ rolename: string }>; disabled?: boolean } | undefined;
      const has = new Set((detail?.roles ?? []).map((r) => r.rolename).filter((r) => r.startsWith(PREFIX_ROLE_PREFIX)));
      const should = new Set(credential.prefixes.map((p) => prefixRoleName(p.prefixKey)));
      const commands: DynsecCommand[] = [
        ...[...should].filter((r) => !has.has(r)).map((rolename) => ({ command: 'addClientRole', username, rolename })),
        ...[...has].filter((r) => !should.has(r)).map((rolename) => ({ command: 'removeClientRole', username, rolename })),
      ];
      if (commands.length > 0) {
        await this.sendAll(commands);
        report.rolesChanged += commands.length;
      }
      if (detail?.disabled) {
        await client.run({ command: 'enableClient', username });
        report.enabledClients.push(username);
      }
    }
    report.unknownToBroker = [...wanted.keys()].filter((username) => !present.has(username));

    const brokerRoles = ((await client.run({ command: 'listRoles', verbose: false, count: -1, offset: 0 })).data?.roles ?? []) as string[];
    for (const rolename of brokerRoles.filter((r) => r.startsWith(PREFIX_ROLE_PREFIX) && !neededRoles.has(r))) {
      await client.run({ command: 'deleteRole', rolename }, NOT_FOUND);
      report.deletedRoles.push(rolename);
    }
    return report;
  }

  /** The node consumer's account (MQTT_USERNAME/PASSWORD), when configured: created if missing, its password and role kept as configured. */
  private async ensureNodeAccount(): Promise<void> {
    const { username, password } = this.ingestion;
    if (username === undefined || password === undefined || username === this.config.adminUsername) return;
    await this.ensureRole(NODE_ROLE, nodeRoleAcls(this.ingestion.topicRoot, this.ingestion.shareGroup));
    const created = await this.requireClient().run(
      { command: 'createClient', username, password, textname: 'IDIS secondary node consumer', roles: [{ rolename: NODE_ROLE }] },
      EXISTS,
    );
    // Once per start: changing a password makes Mosquitto disconnect the client, which the consumer must not suffer every minute.
    const checkedBefore = this.nodeAccountChecked;
    this.nodeAccountChecked = true;
    if (!created.error || checkedBefore) return;
    await this.requireClient().run({ command: 'setClientPassword', username, password });
    // (Adding a role the client has already is an "Internal error" in Mosquitto 2.0.11: look first.)
    const detail = (await this.requireClient().run({ command: 'getClient', username })).data?.client as { roles?: Array<{ rolename: string }> } | undefined;
    if (!(detail?.roles ?? []).some((r) => r.rolename === NODE_ROLE)) await this.requireClient().run({ command: 'addClientRole', username, rolename: NODE_ROLE });
  }

  private ensurePrefixRole(prefix: { prefix: string; prefixKey: string }): Promise<void> {
    return this.ensureRole(prefixRoleName(prefix.prefixKey), prefixRoleAcls(this.ingestion.topicRoot, prefix));
  }

  /** Creates the role with its ACLs, or adds to an existing one the ACLs it lacks (an existing ACL answers "already exists"). */
  private async ensureRole(rolename: string, acls: Acl[]): Promise<void> {
    await this.requireClient().run({ command: 'createRole', rolename, textname: 'managed by the IDIS secondary node' }, EXISTS);
    await this.sendAll(acls.map((acl) => ({ command: 'addRoleACL', rolename, ...acl })), EXISTS);
  }

  private async sendAll(commands: DynsecCommand[], tolerated?: RegExp): Promise<void> {
    if (commands.length === 0) return;
    const responses = await this.requireClient().send(commands);
    const failed = responses.filter((r) => r.error && !(tolerated && tolerated.test(r.error)));
    if (failed.length > 0) throw new Error(failed.map((r) => `${r.command}: ${r.error}`).join('; '));
  }

  private requireClient(): DynsecClient {
    if (!this.client) throw new Error('Mosquitto dynamic security is not configured (MQTT_BROKER_ACCOUNTS=dynsec)');
    return this.client;
  }
}

export interface ReconcileReport {
  deletedClients: string[];
  enabledClients: string[];
  rolesChanged: number;
  deletedRoles: string[];
  /** Credentials in force that the broker does not know (it lost them): they must be revoked and issued again. */
  unknownToBroker: string[];
}
