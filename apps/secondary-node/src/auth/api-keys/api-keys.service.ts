import { Inject, Injectable, Logger } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import type { EntityManager } from 'typeorm';
import { DomainError, type FieldProblem } from '../../errors/domain-errors';
import { EventHub } from '../../events/event-hub';
import { AUTH_CONFIG, type AuthConfig } from '../auth.config';
import type { Principal } from '../principal';
import { ShortCache } from '../short-cache';
import { API_KEY_OPERATIONS, type ApiKeyOperation } from './api-key-scope';
import { apiKeyHash, apiKeyHint, isApiKeySecret, newApiKeySecret } from './api-key-secret';
import type { ApiKeyEntity } from './api-key.entity';
import { ApiKeyRepository, type KeyForAuth } from './api-key.repository';

export interface ApiKeyInput {
  name: string;
  prefixes: string[];
  operations: ApiKeyOperation[];
  expiresInDays?: number;
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export interface ApiKeyView {
  id: string;
  name: string;
  /** `idk_` and the first characters of the secret. */
  hint: string;
  prefixes: string[];
  operations: ApiKeyOperation[];
  status: ApiKeyStatus;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The reply to a creation: the only time the secret is shown. */
export interface CreatedApiKey extends ApiKeyView {
  secret: string;
}

/** Active keys an enterprise may hold at once. */
export const MAX_ACTIVE_KEYS = 100;
/** How often one replica records a key's use, at most. */
const LAST_USE_INTERVAL_MS = 60_000;
const DEACTIVATION = 'deactivation';

/**
 * API keys for an enterprise's machines: scoped to some of its prefixes and to operations, with an
 * expiry. Created by the enterprise itself (shown once, stored as a hash), listed and revoked by it
 * or by an operator; a key is accepted wherever a bearer token is.
 */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger('ApiKeys');
  private readonly byHash: ShortCache<KeyForAuth | null>;
  private readonly lastUseWritten = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly events: EventHub,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {
    this.byHash = new ShortCache(config.authCacheMs);
  }

  async create(caller: Principal, enterpriseId: string, input: ApiKeyInput): Promise<CreatedApiKey> {
    if (caller.role !== 'enterprise' || caller.enterpriseId !== enterpriseId || caller.apiKeyId !== undefined) {
      throw new DomainError('FORBIDDEN', 'only the enterprise itself, signed in with its account, creates its API keys');
    }
    const days = input.expiresInDays ?? this.config.apiKeyDefaultDays;
    if (days > this.config.apiKeyMaxDays) {
      throw new DomainError('VALIDATION_FAILED', `expiresInDays must be at most ${this.config.apiKeyMaxDays}`, [
        { path: '/expiresInDays', message: `must be at most ${this.config.apiKeyMaxDays}` },
      ]);
    }
    const prefixes = await this.ownPrefixKeys(enterpriseId, input.prefixes);
    const secret = newApiKeySecret();
    const created = await this.keys.transaction(async (manager) => {
      await this.keys.lockEnterprise(manager, enterpriseId);
      if ((await this.keys.countActive(manager, enterpriseId)) >= MAX_ACTIVE_KEYS) {
        throw new DomainError('CONFLICT', `an enterprise holds at most ${MAX_ACTIVE_KEYS} active API keys; revoke one first`);
      }
      const key = await this.keys.insert(manager, {
        enterpriseId,
        name: input.name,
        secretHash: apiKeyHash(secret),
        secretHint: apiKeyHint(secret),
        prefixes,
        operations: [...new Set(input.operations)],
        createdBy: caller.username,
        createdByAccountId: caller.accountId,
        expiresAt: new Date(Date.now() + days * 86400_000),
      });
      await this.events.emit('audit.recorded', {
        manager,
        entry: {
          action: 'api-key.create',
          target: `api-key:${key.id}`,
          owner: enterpriseId,
          outcome: 'ok',
          after: { name: key.name, prefixes: key.prefixes, operations: key.operations, expiresAt: key.expiresAt.toISOString() },
        },
      });
      return key;
    });
    return { ...toView(created), secret };
  }

  async list(caller: Principal, enterpriseId: string, page: number, pageSize: number) {
    assertManages(caller, enterpriseId);
    const { total, items } = await this.keys.page(enterpriseId, pageSize, (page - 1) * pageSize);
    return { total, page, pageSize, items: items.map(toView) };
  }

  async revoke(caller: Principal, enterpriseId: string, keyId: string): Promise<void> {
    assertManages(caller, enterpriseId);
    const revoked = await this.keys.transaction(async (manager) => {
      const outcome = await this.keys.revoke(manager, enterpriseId, keyId, caller.username);
      if (!outcome.found) throw new DomainError('NOT_FOUND', `enterprise ${enterpriseId} has no API key ${keyId}`);
      if (outcome.revoked) {
        await this.events.emit('audit.recorded', {
          manager,
          entry: { action: 'api-key.revoke', target: `api-key:${keyId}`, owner: enterpriseId, outcome: 'ok', after: { revokedBy: caller.username } },
        });
      }
      return outcome.revoked;
    });
    // Refused on this replica at once; the others within AUTH_CACHE_MS.
    if (revoked) this.byHash.forget(revoked.secretHash);
  }

  /** Inside the deactivation's transaction: every key of the enterprise stops working. */
  async revokeAllOf(manager: EntityManager, enterpriseId: string): Promise<string[]> {
    const revoked = await this.keys.revokeAllOf(manager, enterpriseId, DEACTIVATION);
    for (const key of revoked) {
      this.byHash.forget(key.secretHash);
      await this.events.emit('audit.recorded', {
        manager,
        entry: { action: 'api-key.revoke', target: `api-key:${key.id}`, owner: enterpriseId, outcome: 'ok', reason: 'enterprise deactivated' },
      });
    }
    return revoked.map((key) => key.id);
  }

  /** The principal of a key, or why it is refused (a message for the 401). */
  /**
   * The id of a key this replica recently found valid, without waiting (the rate limiter's hook);
   * undefined for one it has not seen, or found unknown, revoked or expired.
   */
  knownKeyId(secret: string): string | undefined {
    if (!isApiKeySecret(secret)) return undefined;
    const key = this.byHash.peek(apiKeyHash(secret))?.value;
    return key && !key.revokedAt && key.expiresAt.getTime() > Date.now() ? key.id : undefined;
  }

  async authenticate(secret: string): Promise<Principal | string> {
    if (!isApiKeySecret(secret)) return 'not a well-formed API key (idk_ followed by 43 base64url characters)';
    const hash = apiKeyHash(secret);
    const key = await this.byHash.get(hash, () => this.keys.findForAuth(hash));
    if (!key) return 'unknown API key';
    if (key.revokedAt) return 'this API key has been revoked';
    if (key.expiresAt.getTime() <= Date.now()) return `this API key expired at ${key.expiresAt.toISOString()}`;
    this.noteUse(key.id);
    return {
      accountId: key.createdByAccountId,
      username: key.createdBy,
      role: 'enterprise',
      enterpriseId: key.enterpriseId,
      apiKeyId: key.id,
      keyScope: { prefixes: key.prefixes, operations: key.operations.filter(isOperation) },
    };
  }

  /** Records the use in the background, at most once a minute per key from this replica. */
  private noteUse(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastUseWritten.get(keyId) ?? 0) < LAST_USE_INTERVAL_MS) return;
    if (this.lastUseWritten.size >= 10_000) this.lastUseWritten.clear();
    this.lastUseWritten.set(keyId, now);
    // Not awaited: a request never waits for, nor fails on, bookkeeping about it.
    this.keys.touch(keyId).catch((error: unknown) => {
      this.lastUseWritten.delete(keyId);
      this.logger.warn(`recording the use of API key ${keyId} failed: ${(error as Error).message}`);
    });
  }

  /** The requested prefixes as the enterprise's own prefix keys; refuses (without saying whose) any that is not its own. */
  private async ownPrefixKeys(enterpriseId: string, requested: string[]): Promise<string[]> {
    const problems: FieldProblem[] = [];
    const keys: string[] = [];
    requested.forEach((text, i) => {
      try {
        keys.push(parsePrefix(text).prefixKey);
      } catch (error) {
        problems.push({ path: `/prefixes/${i}`, message: (error as Error).message });
      }
    });
    const owned = problems.length === 0 ? await this.keys.ownedPrefixes(enterpriseId, keys) : new Map<string, string>();
    if (problems.length === 0) {
      keys.forEach((key, i) => {
        if (!owned.has(key)) problems.push({ path: `/prefixes/${i}`, message: 'is not a prefix of this enterprise' });
      });
    }
    if (problems.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `API key prefixes are invalid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    }
    return [...new Set(keys)];
  }
}

/** The enterprise itself (signed in, not with a key) or an operator. */
function assertManages(caller: Principal, enterpriseId: string): void {
  if (caller.apiKeyId !== undefined) throw new DomainError('FORBIDDEN', 'an API key cannot manage API keys; sign in with the enterprise account');
  if (caller.role === 'operator') return;
  if (caller.role !== 'enterprise' || caller.enterpriseId !== enterpriseId) {
    throw new DomainError('FORBIDDEN', 'only the enterprise itself or an operator manages its API keys');
  }
}

function isOperation(value: string): value is ApiKeyOperation {
  return (API_KEY_OPERATIONS as readonly string[]).includes(value);
}

function statusOf(key: ApiKeyEntity, now = Date.now()): ApiKeyStatus {
  if (key.revokedAt) return 'revoked';
  return key.expiresAt.getTime() <= now ? 'expired' : 'active';
}

function toView(key: ApiKeyEntity): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    hint: key.secretHint,
    prefixes: key.prefixes,
    operations: key.operations.filter(isOperation),
    status: statusOf(key),
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt.toISOString(),
    lastUsedAt: key.lastUsedAt ? key.lastUsedAt.toISOString() : null,
    revokedAt: key.revokedAt ? key.revokedAt.toISOString() : null,
  };
}
