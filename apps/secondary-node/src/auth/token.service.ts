import { Inject, Injectable } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { DomainError } from '../errors/domain-errors';
import type { Principal, TokenClaims } from './principal';

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Bearer tokens: HS256 JWTs signed with the node secret, valid for 24 h by default. */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
  ) {}

  issue(principal: Principal): IssuedToken {
    const claims: TokenClaims = { sub: principal.accountId, usr: principal.username, role: principal.role, ent: principal.enterpriseId };
    const accessToken = this.jwt.sign(claims, { expiresIn: this.config.tokenTtlSeconds, algorithm: 'HS256' });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.tokenTtlSeconds };
  }

  verify(token: string): Principal {
    try {
      const claims = this.jwt.verify<TokenClaims>(token, { algorithms: ['HS256'] });
      return { accountId: claims.sub, username: claims.usr, role: claims.role, enterpriseId: claims.ent };
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new DomainError('AUTHENTICATION_REQUIRED', 'the bearer token has expired; request a new one');
      throw new DomainError('AUTHENTICATION_REQUIRED', 'the bearer token is not valid');
    }
  }
}
