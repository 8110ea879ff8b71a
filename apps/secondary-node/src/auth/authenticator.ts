import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import { AccountRepository } from './account.repository';
import { AUTH_CONFIG, type AuthConfig } from './auth.config';
import { API_KEY_MARK } from './api-keys/api-key-secret';
import { ApiKeysService } from './api-keys/api-keys.service';
import type { Principal } from './principal';
import { recordRefusal } from './refusal-audit';
import { ShortCache } from './short-cache';
import { TokenService, type VerifiedToken } from './token.service';
import { type BearerError, noteRefusedCredential } from './www-authenticate';

type Standing = Awaited<ReturnType<AccountRepository['standing']>>;

/**
 * Who sent a request: `Authorization: Bearer <token or API key>` or `X-API-Key: <key>`. A token is
 * accepted only while its account is active and its token version is current; what a replica read
 * of that is trusted for AUTH_CACHE_MS (≤ 4 s), so a deactivation, a password change or a
 * revoked key takes effect on every replica within that.
 */
@Injectable()
export class Authenticator {
  private readonly logger = new Logger('Auth');
  private readonly standings: ShortCache<Standing>;

  constructor(
    private readonly tokens: TokenService,
    private readonly accounts: AccountRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly events: EventHub,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.standings = new ShortCache(config.authCacheMs);
  }

  /** Whether the request carries any credential (the anonymous hot path needs no await). */
  static hasCredential(request: FastifyRequest): boolean {
    return request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined;
  }

  /** The caller, or undefined for a request without credentials. A credential that does not hold is refused (401), never ignored. */
  async authenticate(request: FastifyRequest): Promise<Principal | undefined> {
    if (!Authenticator.hasCredential(request)) return undefined;
    try {
      return await this.identify(request);
    } catch (error) {
      if (error instanceof RefusedCredential) {
        noteRefusedCredential(request, error.bearerError, error.message);
        await recordRefusal(this.events, this.logger, request, error.code);
      }
      throw error;
    }
  }

  /**
   * Whose budget a request spends on the routes that bypass Nest (the resolution limiter's hook,
   * which cannot await): `account:<id>` for a signed token whose account this replica has not
   * found disabled or re-versioned, `key:<id>` for an API key it recently found valid; undefined
   * (count the client address) for anything else — so a revoked or made-up credential never gets
   * a budget of its own, nor spends its account's. The route itself then checks the credential.
   */
  limitKeyNow(headers: FastifyRequest['headers']): string | undefined {
    const keyHeader = headers['x-api-key'];
    if (typeof keyHeader === 'string') return this.keyLimitKey(keyHeader.trim());
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (!match) return undefined;
    if (match[1].startsWith(API_KEY_MARK)) return this.keyLimitKey(match[1]);
    let verified: VerifiedToken;
    try {
      verified = this.tokens.verify(match[1]);
    } catch {
      return undefined;
    }
    const standing = this.standings.peek(verified.principal.accountId);
    if (standing !== undefined && (!standing.value || standing.value.status !== 'active' || standing.value.tokenVersion !== verified.version)) return undefined;
    return `account:${verified.principal.accountId}`;
  }

  private keyLimitKey(secret: string): string | undefined {
    const id = this.apiKeys.knownKeyId(secret);
    return id === undefined ? undefined : `key:${id}`;
  }

  /** This replica changed the account (password, reset): read its standing again on its next request. */
  forgetAccount(accountId: string): void {
    this.standings.forget(accountId);
  }

  private async identify(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const keyHeader = request.headers['x-api-key'];
    if (header !== undefined && keyHeader !== undefined) {
      throw new RefusedCredential('invalid_request', 'send one credential: either Authorization or X-API-Key, not both');
    }
    if (keyHeader !== undefined) {
      if (typeof keyHeader !== 'string') throw new RefusedCredential('invalid_request', 'send X-API-Key once');
      return this.keyPrincipal(keyHeader.trim());
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new RefusedCredential('invalid_request', 'Authorization header must be "Bearer <token>" (a token or an API key)');
    return match[1].startsWith(API_KEY_MARK) ? this.keyPrincipal(match[1]) : this.tokenPrincipal(match[1]);
  }

  private async tokenPrincipal(token: string): Promise<Principal> {
    let verified: VerifiedToken;
    try {
      verified = this.tokens.verify(token);
    } catch (error) {
      throw new RefusedCredential('invalid_token', (error as Error).message);
    }
    const standing = await this.standings.get(verified.principal.accountId, () => this.accounts.standing(verified.principal.accountId));
    if (!standing) throw new RefusedCredential('invalid_token', 'the account of this token no longer exists');
    if (standing.status !== 'active') throw new RefusedCredential('invalid_token', 'the account of this token is disabled');
    if (standing.tokenVersion !== verified.version) {
      throw new RefusedCredential('invalid_token', 'this token was issued before the password was changed or reset; sign in again');
    }
    return verified.principal;
  }

  private async keyPrincipal(secret: string): Promise<Principal> {
    const outcome = await this.apiKeys.authenticate(secret);
    if (typeof outcome === 'string') throw new RefusedCredential('invalid_token', outcome);
    return outcome;
  }
}

/** A credential that was sent and does not hold: 401 with an RFC 6750 error in the challenge. */
export class RefusedCredential extends DomainError {
  constructor(
    readonly bearerError: BearerError,
    message: string,
  ) {
    super('AUTHENTICATION_REQUIRED', message);
  }
}
