import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { EventHub } from '../../events/event-hub';
import { INGESTION_CONFIG, type IngestionConfig } from '../ingestion/ingestion-config';
import { MQTT_ACCESS_CONFIG, type MqttAccessConfig } from './mqtt-access.config';
import { type CredentialRow, MqttCredentialRepository } from './mqtt-credential.repository';
import { FEEDBACK_TOPICS, type MqttIdentity, TopicPolicy } from './topic-policy';

/** Usernames the node derives start with this: a broker account under it that the database does not hold is removed. */
export const MANAGED_USERNAME_PREFIX = 'idis-e-';

export interface CredentialView {
  id: string;
  enterpriseId: string;
  username: string;
  label: string | null;
  status: 'active' | 'revoked';
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedCredentialView extends CredentialView {
  /** Shown once: only a digest is kept. */
  password: string;
  /** Where this credential may publish and subscribe (one entry per active prefix). */
  topics: Array<{ prefix: string; publish: string; subscribe: string[] }>;
}

/** A credential the broker must learn (dynamic security) when it is created. */
export interface NewBrokerAccount {
  username: string;
  password: string;
  prefixes: Array<{ prefix: string; prefixKey: string }>;
}

/**
 * What a broker integration does when credentials change. `accountCreated` runs inside the
 * creating transaction (a failure refuses the creation, so nothing exists that the broker does not
 * know); `accountsRevoked` runs after a revocation committed (`committed`), or inside a foreign
 * transaction that may still roll back (an enterprise's deactivation): then it must be reversible.
 */
export interface BrokerAccountSync {
  accountCreated?(account: NewBrokerAccount): Promise<void>;
  accountsRevoked(usernames: string[], committed: boolean): Promise<void> | void;
}

export function secretDigest(password: string): string {
  return `sha256$${createHash('sha256').update(password, 'utf8').digest('hex')}`;
}

function digestMatches(password: string, stored: string): boolean {
  const actual = Buffer.from(secretDigest(password));
  const expected = Buffer.from(stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * Enterprises' MQTT credentials (create: the password is shown once; list; revoke) and the checks
 * every broker integration asks: who is this username/password, and may it publish or subscribe
 * there. Revocations reach the attached broker integrations (the embedded broker disconnects the
 * sessions, the Mosquitto integration deletes the accounts).
 */
@Injectable()
export class MqttAccessService {
  private readonly logger = new Logger('MqttAccess');
  readonly policy: TopicPolicy;
  private readonly syncs: BrokerAccountSync[] = [];
  private internalIdentity: { username: string; password: string } | undefined;

  constructor(
    private readonly credentials: MqttCredentialRepository,
    @Inject(MQTT_ACCESS_CONFIG) private readonly config: MqttAccessConfig,
    @Inject(INGESTION_CONFIG) private readonly ingestion: IngestionConfig,
    events: EventHub,
  ) {
    this.policy = new TopicPolicy(ingestion.topicRoot);
    events.on('enterprise.deactivated', ({ manager, enterpriseId }) => this.revokeForDeactivation(manager, enterpriseId));
  }

  /** Registers a broker integration; returns the function that detaches it. */
  attach(sync: BrokerAccountSync): () => void {
    this.syncs.push(sync);
    return () => {
      const index = this.syncs.indexOf(sync);
      if (index >= 0) this.syncs.splice(index, 1);
    };
  }

  /**
   * The node's own MQTT identity: MQTT_USERNAME / MQTT_PASSWORD when configured, otherwise (for the
   * embedded broker, which only this process uses) a random one made for this process.
   */
  nodeIdentity(): { username: string; password: string } {
    if (this.ingestion.username !== undefined && this.ingestion.password !== undefined) return { username: this.ingestion.username, password: this.ingestion.password };
    this.internalIdentity ??= { username: 'idis-node-internal', password: randomBytes(32).toString('base64url') };
    return this.internalIdentity;
  }

  async create(caller: Principal, enterpriseId: string, label: string | null): Promise<CreatedCredentialView> {
    await this.assertManages(caller, enterpriseId);
    const password = randomBytes(32).toString('base64url');
    const { row, prefixes } = await this.credentials.transaction(async (manager) => {
      // Locked: a deactivation running now either commits first (refused here) or waits for this.
      const status = await this.credentials.enterpriseStatus(enterpriseId, manager, true);
      await this.credentials.lockAccountsShared(manager);
      if (status === undefined) throw new DomainError('NOT_FOUND', `there is no enterprise ${enterpriseId}`);
      if (status !== 'active') throw new DomainError('ILLEGAL_TRANSITION', 'the enterprise is deactivated: it cannot get MQTT credentials');
      const prefixes = await this.credentials.activePrefixes(enterpriseId, manager);
      if (prefixes.length === 0) throw new DomainError('ILLEGAL_TRANSITION', 'the enterprise has no active prefix yet: MQTT credentials publish under active prefixes only');
      if ((await this.credentials.countUnrevoked(manager, enterpriseId)) >= this.config.maxCredentialsPerEnterprise) {
        throw new DomainError('CONFLICT', `an enterprise holds at most ${this.config.maxCredentialsPerEnterprise} MQTT credentials: revoke one first`);
      }
      let inserted: CredentialRow | null = null;
      let username = '';
      for (let attempt = 0; inserted === null; attempt += 1) {
        if (attempt === 5) throw new Error('could not derive a free MQTT username');
        username = deriveUsername(prefixes[0].prefixKey);
        inserted = await this.credentials.insert(manager, { enterpriseId, username, secretDigest: secretDigest(password), label, createdBy: caller.username });
      }
      for (const sync of this.syncs) {
        await sync.accountCreated?.({ username, password, prefixes }).catch((error: Error) => {
          throw new DomainError('UPSTREAM_UNAVAILABLE', `the MQTT broker did not take the new account, so none was created: ${error.message}`);
        });
      }
      return { row: inserted, prefixes };
    });
    const root = this.ingestion.topicRoot;
    return {
      ...toView(row),
      password,
      topics: prefixes.map((p) => ({ prefix: p.prefix, publish: `${root}/${p.prefix}/events`, subscribe: FEEDBACK_TOPICS.map((t) => `${root}/${p.prefix}/${t}`) })),
    };
  }

  async list(caller: Principal, enterpriseId: string, includeRevoked: boolean): Promise<{ items: CredentialView[] }> {
    await this.assertManages(caller, enterpriseId);
    return { items: (await this.credentials.listForEnterprise(enterpriseId, includeRevoked)).map(toView) };
  }

  async revoke(caller: Principal, enterpriseId: string, credentialId: string): Promise<void> {
    await this.assertManages(caller, enterpriseId);
    const revoked = await this.credentials.transaction((manager) => this.credentials.revoke(manager, enterpriseId, credentialId, caller.username, 'revoked'));
    if (!revoked) throw new DomainError('NOT_FOUND', `enterprise ${enterpriseId} has no MQTT credential ${credentialId} in force`);
    await this.announceRevoked([revoked.username], true);
  }

  /** Inside the deactivation's transaction: every credential of the enterprise stops working with it. */
  private async revokeForDeactivation(manager: EntityManager, enterpriseId: string): Promise<void> {
    await this.credentials.lockAccountsShared(manager);
    const revoked = await this.credentials.revokeAllOfEnterprise(manager, enterpriseId, 'system', 'enterprise_deactivated');
    if (revoked.length > 0) await this.announceRevoked(revoked.map((r) => r.username), false);
  }

  /** Broker integrations hear of it; a broker that cannot be reached is fixed by its reconciliation, not by failing the revocation. */
  private async announceRevoked(usernames: string[], committed: boolean): Promise<void> {
    for (const sync of this.syncs) {
      try {
        await sync.accountsRevoked(usernames, committed);
      } catch (error) {
        this.logger.warn(`broker not told of ${usernames.length} revoked MQTT credential(s) yet (the next reconciliation will): ${(error as Error).message}`);
      }
    }
  }

  /** Who connects with this username and password, or null (anonymous, unknown, wrong password, revoked, enterprise deactivated). */
  async authenticate(username: string | undefined, password: string | Buffer | undefined): Promise<MqttIdentity | null> {
    if (username === undefined || password === undefined || username.length === 0 || username.length > 64) return null;
    const secret = Buffer.isBuffer(password) ? password.toString('utf8') : password;
    if (secret.length > 200) return null;
    const node = this.nodeIdentity();
    if (username === node.username) return sameSecret(secret, node.password) ? { kind: 'node' } : null;
    const credential = await this.credentials.findActiveByUsername(username);
    if (!credential || !digestMatches(secret, credential.secretDigest)) return null;
    return { kind: 'enterprise', credentialId: credential.id, enterpriseId: credential.enterpriseId, username, prefixKeys: new Set(credential.prefixes.map((p) => p.prefixKey)) };
  }

  /** The identity behind a username alone (the broker authenticated it already): for ACL checks. */
  async identityOf(username: string | undefined): Promise<MqttIdentity | null> {
    if (username === undefined || username.length === 0 || username.length > 64) return null;
    if (username === this.nodeIdentity().username) return { kind: 'node' };
    const credential = await this.credentials.findActiveByUsername(username);
    if (!credential) return null;
    return { kind: 'enterprise', credentialId: credential.id, enterpriseId: credential.enterpriseId, username, prefixKeys: new Set(credential.prefixes.map((p) => p.prefixKey)) };
  }

  /** Of these credential ids, those no longer in force (the embedded broker's sweep of live sessions). */
  noLongerInForce(ids: string[]): Promise<string[]> {
    return this.credentials.noLongerInForce(ids);
  }

  /** The enterprise itself or an operator; anyone else is refused before anything is revealed. */
  private async assertManages(caller: Principal, enterpriseId: string): Promise<void> {
    if (caller.role === 'operator') {
      if ((await this.credentials.enterpriseStatus(enterpriseId)) === undefined) throw new DomainError('NOT_FOUND', `there is no enterprise ${enterpriseId}`);
      return;
    }
    if (caller.role !== 'enterprise' || caller.enterpriseId !== enterpriseId) {
      throw new DomainError('FORBIDDEN', 'only the enterprise itself or an operator manages its MQTT credentials');
    }
  }
}

/** `idis-e-<prefix key>-<8 random characters>`: recognisable in broker logs, never guessable, at most 64 characters. */
function deriveUsername(prefixKey: string): string {
  const readable = prefixKey.replace(/[^a-z0-9.-]/g, '_').slice(0, 40);
  const random = randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x');
  return `${MANAGED_USERNAME_PREFIX}${readable}-${random}`;
}

function toView(row: CredentialRow): CredentialView {
  return {
    id: row.id,
    enterpriseId: row.enterpriseId,
    username: row.username,
    label: row.label,
    status: row.revokedAt ? 'revoked' : 'active',
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
  };
}
