import { createSecretKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import { AUTH_CONFIG, type AuthConfig } from './auth.config';
import { DomainError } from '../errors/domain-errors';
import { NODE_SECRET } from './node-secret';
import type { Principal, TokenClaims } from './principal';

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A token whose signature and expiry hold; whether its account still accepts it is the Authenticator's question. */
export interface VerifiedToken {
  principal: Principal;
  /** The account's token version the token was issued under. */
  version: number;
}

/** Bearer tokens: HS256 JWTs signed with the node secret, valid for 24 h by default. */
@Injectable()
export class TokenService {
  /**
   * The secret as a KeyObject, made once: given a string, jsonwebtoken first tries to read it as
   * a PEM public key (and fails) on every call, a third of a token check's CPU.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly jwt: JwtService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(NODE_SECRET) secret: string,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(principal: Principal, version: number): IssuedToken {
    const claims: TokenClaims = { sub: principal.accountId, usr: principal.username, role: principal.role, ent: principal.enterpriseId, ver: version };
    const accessToken = this.jwt.sign(claims, { expiresIn: this.config.tokenTtlSeconds, algorithm: 'HS256', secret: this.key as unknown as string });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.tokenTtlSeconds };
  }

  verify(token: string): VerifiedToken {
    let claims: unknown;
    try {
      claims = this.jwt.verify<TokenClaims & { exp?: unknown }>(token, { algorithms: ['HS256'], secret: this.key as unknown as string });
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new DomainError('AUTHENTICATION_REQUIRED', 'the bearer token has expired; request a new one');
      throw new DomainError('AUTHENTICATION_REQUIRED', 'the bearer token is not valid');
    }
    // Only tokens this node issued carry these claims, and every one of them expires.
    if (!isIssuedClaims(claims)) throw new DomainError('AUTHENTICATION_REQUIRED', 'the bearer token is not valid');
    return { principal: { accountId: claims.sub, username: claims.usr, role: claims.role, enterpriseId: claims.ent }, version: claims.ver ?? 0 };
  }
}

function isIssuedClaims(claims: unknown): claims is TokenClaims & { exp: number } {
  if (typeof claims !== 'object' || claims === null) return false;
  const c = claims as Record<string, unknown>;
  if (typeof c.exp !== 'number' || typeof c.sub !== 'string' || typeof c.usr !== 'string') return false;
  if (c.ver !== undefined && !(typeof c.ver === 'number' && Number.isSafeInteger(c.ver) && c.ver >= 0)) return false;
  if (c.role === 'operator') return c.ent === null;
  if (c.role === 'enterprise') return typeof c.ent === 'string' && c.ent.length > 0;
  if (c.role === 'partner') return c.ent === null;
  return false;
}
