import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import type { AccountEntity } from '../../auth/account.entity';
import { AccountRepository } from '../../auth/account.repository';
import { API_KEY_MARK } from '../../auth/api-keys/api-key-secret';
import { ApiKeysService } from '../../auth/api-keys/api-keys.service';
import { verifyPassword } from '../../auth/password-hasher';
import type { Principal } from '../../auth/principal';

/**
 * THE SEAM for secrets presented with a handle identity (`Authorization: Basic`, index:handle and
 * a secret). Each verifier in HANDLE_CREDENTIAL_VERIFIERS is asked in turn whether `secret` is a
 * credential of the enterprise the identity belongs to; the first principal returned wins.
 *
 * Two verifiers are registered, in this order: an API key of the enterprise (ApiKeyCredentialVerifier,
 * a hash lookup, so it goes first) and the enterprise account's password (AccountPasswordVerifier,
 * scrypt). A key's principal carries its scope; the registry's services check its operations and
 * prefixes as for a key sent as a bearer token.
 */
export interface HandleCredentialVerifier {
  /** For messages and logs: "account password", "API key", … */
  readonly kind: string;
  /** The principal when `secret` is a valid credential of the enterprise, else undefined; never throws for a wrong secret. */
  verify(enterpriseId: string, secret: string): Promise<Principal | undefined>;
}

export const HANDLE_CREDENTIAL_VERIFIERS = Symbol('HANDLE_CREDENTIAL_VERIFIERS');

/** Longest secret looked at: the native login takes passwords up to 64 characters, API keys are shorter. */
export const MAX_SECRET_LENGTH = 256;
/** A verified (account, password hash, secret) is remembered this long, so that Basic on every write does not cost an scrypt each. */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;

/** An API key of the enterprise (`idk_…`), as the password of the handle identity. */
@Injectable()
export class ApiKeyCredentialVerifier implements HandleCredentialVerifier {
  readonly kind = 'API key';

  constructor(private readonly keys: ApiKeysService) {}

  async verify(enterpriseId: string, secret: string): Promise<Principal | undefined> {
    if (!secret.startsWith(API_KEY_MARK) || secret.length > MAX_SECRET_LENGTH) return undefined;
    const outcome = await this.keys.authenticate(secret);
    return typeof outcome !== 'string' && outcome.enterpriseId === enterpriseId ? outcome : undefined;
  }
}

/** The enterprise's own account password (scrypt hash, auth/password-hasher.ts). */
@Injectable()
export class AccountPasswordVerifier implements HandleCredentialVerifier {
  readonly kind = 'account password';
  /** HMAC key of the remembered verifications: they are useless outside this process. */
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, number>();

  constructor(private readonly accounts: AccountRepository) {}

  async verify(enterpriseId: string, secret: string): Promise<Principal | undefined> {
    if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) return undefined;
    for (const account of await this.accounts.findByEnterprise(enterpriseId)) {
      if (account.status !== 'active') continue;
      if (await this.matches(account, secret)) {
        return { accountId: account.id, username: account.username, role: 'enterprise', enterpriseId };
      }
    }
    return undefined;
  }

  /**
   * The remembered entry is keyed by the stored hash too: a password change makes it unreachable
   * at once, on every replica, since each reads the account row on every request.
   */
  private async matches(account: AccountEntity, secret: string): Promise<boolean> {
    const key = createHmac('sha256', this.cacheKey).update(`${account.id}\u0000${account.passwordHash}\u0000${secret}`).digest('base64url');
    const now = Date.now();
    const until = this.verified.get(key);
    if (until !== undefined && until > now) return true;
    if (!(await verifyPassword(secret, account.passwordHash))) return false;
    this.verified.delete(key);
    while (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(key, now + VERIFIED_TTL_MS);
    return true;
  }
}
