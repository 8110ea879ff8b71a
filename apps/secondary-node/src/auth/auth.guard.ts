import { applyDecorators, type CanActivate, createParamDecorator, type ExecutionContext, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import { notePrincipal } from '../http/request-context';
import type { Role } from './account.entity';
import type { ApiKeyOperation } from './api-keys/api-key-scope';
import { Authenticator } from './authenticator';
import type { Principal } from './principal';
import { recordRefusal } from './refusal-audit';

const ROLES = 'idis:roles';
const KEY_OPERATIONS = 'idis:api-key-operations';

/** The route needs a bearer token of one of these roles. Routes without it accept anonymous callers. */
export const RequireRoles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/**
 * An enterprise's API key may call this route (of RequireRoles) when it holds one of these
 * operations; the service then checks the operation and the prefix precisely (api-key-scope.ts).
 * Routes without it refuse API keys: a key can do only what it was made for.
 */
export const AllowApiKey = (...operations: ApiKeyOperation[]) => applyDecorators(SetMetadata(KEY_OPERATIONS, operations), ApiSecurity('api-key'));

type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** The caller, or undefined on routes open to anonymous callers. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);

/**
 * Reads `Authorization: Bearer <token or API key>` or `X-API-Key` when present (Authenticator). A
 * present but invalid, expired or revoked credential is refused even on open routes, so a client
 * never silently falls back to anonymous access. Every refusal is announced to the audit log.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly authenticator: Authenticator,
    private readonly reflector: Reflector,
    private readonly events: EventHub,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.principal = await this.authenticator.authenticate(request);
    if (request.principal) notePrincipal(request.principal, request.principal.apiKeyId);
    const targets = [context.getHandler(), context.getClass()];
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (!roles) return true;
    const principal = request.principal;
    if (!principal) return this.refuse(request, new DomainError('AUTHENTICATION_REQUIRED', 'this operation needs a bearer token'));
    if (!roles.includes(principal.role)) {
      return this.refuse(request, new DomainError('FORBIDDEN', `this operation needs the role ${roles.join(' or ')}; the token has role ${principal.role}`));
    }
    if (principal.keyScope) {
      const operations = this.reflector.getAllAndOverride<ApiKeyOperation[] | undefined>(KEY_OPERATIONS, targets);
      if (!operations) return this.refuse(request, new DomainError('FORBIDDEN', 'an API key cannot call this operation; sign in with the enterprise account'));
      if (!operations.some((operation) => principal.keyScope?.operations.includes(operation))) {
        return this.refuse(request, new DomainError('FORBIDDEN', `this API key may not call this operation (it needs one of: ${operations.join(', ')})`));
      }
    }
    return true;
  }

  private async refuse(request: AuthenticatedRequest, error: DomainError): Promise<never> {
    await recordRefusal(this.events, this.logger, request, error.code);
    throw error;
  }
}
