import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-errors';
import { notePrincipal } from '../http/request-context';
import type { Role } from './account.entity';
import type { Principal } from './principal';
import { TokenService } from './token.service';

const ROLES = 'idis:roles';

/** The route needs a bearer token of one of these roles. Routes without it accept anonymous callers. */
export const RequireRoles = (...roles: Role[]) => SetMetadata(ROLES, roles);

type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** The caller, or undefined on routes open to anonymous callers. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);

/**
 * Reads `Authorization: Bearer <token>` when present. A present but invalid or expired token is
 * refused even on open routes, so a client never silently falls back to anonymous access.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new DomainError('AUTHENTICATION_REQUIRED', 'Authorization header must be "Bearer <token>"');
      request.principal = this.tokens.verify(match[1]);
      notePrincipal(request.principal);
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles) return true;
    if (!request.principal) throw new DomainError('AUTHENTICATION_REQUIRED', 'this operation needs a bearer token');
    if (!roles.includes(request.principal.role)) {
      throw new DomainError('FORBIDDEN', `this operation needs the role ${roles.join(' or ')}; the token has role ${request.principal.role}`);
    }
    return true;
  }
}
