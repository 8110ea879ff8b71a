import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../auth/account.entity';
import { challengeFor } from '../../auth/www-authenticate';
import { AuthGuard, RequireRoles } from '../../auth/auth.guard';
import { LoginLockedError } from '../../auth/login-throttle/login-throttle.service';
import type { Principal } from '../../auth/principal';
import { DomainError, httpStatusOf } from '../../errors/domain-errors';
import { handleFromPath } from '../../http/identifier-input';
import { PrefixRepository } from '../prefix.repository';
import { type HandleCaller, HandleAuthenticator } from './handle-authenticator';
import { challengeHeaders } from './handle-challenge';

export type HandleRestRequest = FastifyRequest & { principal?: Principal; handleCaller?: HandleCaller };

/** The metadata key RequireRoles writes (SetMetadata exposes it as KEY), read here without a second constant. */
const ROLES_KEY = RequireRoles().KEY;

/**
 * The guard of the Handle.Net REST write door: `Authorization: Basic` with a handle identity and
 * `Authorization: Handle` sessions are read here; a bearer token (or no header) goes to the
 * node-wide AuthGuard exactly as before. Every 401 carries the Basic and Handle challenges.
 */
@Injectable()
export class HandleRestAuthGuard implements CanActivate {
  constructor(
    private readonly bearer: AuthGuard,
    private readonly authenticator: HandleAuthenticator,
    private readonly prefixes: PrefixRepository,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<HandleRestRequest>();
    try {
      const header = request.headers.authorization;
      const caller = header === undefined ? undefined : await this.authenticator.fromHeader(header);
      if (!caller) return await Promise.resolve(this.bearer.canActivate(context) as boolean | Promise<boolean>);
      request.principal = caller.principal;
      request.handleCaller = caller;
      this.assertRole(context, caller.principal);
      await this.assertAdministers(request, caller);
      return true;
    } catch (error) {
      if (error instanceof DomainError && httpStatusOf[error.code] === 401) {
        // Every scheme this door takes is offered (RFC 9110 §11.6.1); the error goes with the scheme that was tried.
        const session = await this.authenticator.challenge().catch(() => undefined);
        const header = request.headers.authorization;
        const handleTried = header !== undefined && !/^Bearer\s/i.test(header);
        void http.getResponse<FastifyReply>().header('www-authenticate', [challengeFor(request), ...challengeHeaders(session, handleTried ? error.message : undefined)]);
      }
      if (error instanceof LoginLockedError) void http.getResponse<FastifyReply>().header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
  }

  private assertRole(context: ExecutionContext, principal: Principal): void {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (roles && !roles.includes(principal.role)) {
      throw new DomainError('FORBIDDEN', `this operation needs the role ${roles.join(' or ')}; the handle identity speaks for an ${principal.role}`);
    }
  }

  /**
   * A handle identity administers its enterprise's prefixes only. Writing under another one is
   * what Handle.Net answers with RC_INVALID_ADMIN (400, HTTP 403); the service's own ownership
   * check (which bearer tokens meet) stays in force behind this one.
   */
  private async assertAdministers(request: HandleRestRequest, caller: HandleCaller): Promise<void> {
    if (request.method !== 'PUT' && request.method !== 'DELETE') return;
    let handle: string;
    try {
      handle = handleFromPath(request.url);
    } catch {
      return; // the route reports the malformed path in its own words
    }
    const slash = handle.indexOf('/');
    if (slash <= 0) return;
    const prefixKey = handle.slice(0, slash).replace(/[A-Z]/g, (c) => c.toLowerCase());
    const standing = (await this.prefixes.standings([prefixKey])).get(prefixKey);
    if (standing?.enterpriseId && standing.enterpriseId !== caller.principal.enterpriseId) {
      throw new DomainError('ADMIN_NOT_RECOGNIZED', `handle identity ${caller.identity} is not an administrator of prefix ${standing.prefix}`);
    }
  }
}
