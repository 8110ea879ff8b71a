import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import type { AccountEntity } from '../../auth/account.entity';
import { AccountRepository } from '../../auth/account.repository';
import { verifyPassword } from '../../auth/password-hasher';
import type { Principal } from '../../auth/principal';

/**
 * THE SEAM for secrets presented with a handle identity (`Authorization: Basic`, index:handle and
 * a secret). Each verifier in HANDLE_CREDENTIAL_VERIFIERS is asked in turn whether `secret` is a
 * credential of the enterprise the identity belongs to; the first principal returned wins.
 *
 * Today one verifier is registered: the enterprise account's password (AccountPasswordVerifier).
 * The API-key module (accounts work, not merged yet) plugs in here: a verifier that looks the key
 * up by its hash, checks that it belongs to `enterpriseId`, is not revoked or expired and allows the
 * operation, and returns a principal carrying the key's scope; list it BEFORE the password verifier
 * in the registry module's HANDLE_CREDENTIAL_VERIFIERS factory (a hash lookup is cheaper than scrypt).
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
