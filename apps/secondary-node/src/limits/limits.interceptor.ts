import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, from, type Observable, switchMap, throwError } from 'rxjs';
import type { Principal } from '../auth/principal';
import type { LimitFamily } from './limits.config';
import { rateLimitedError, setRefusalHeaders } from './refusal-reply';
import { RequestLimits } from './request-limits';

/** A principal as the guard leaves it; `apiKeyId` is set when the call came with an API key. */
type Caller = Principal & { apiKeyId?: string };
type LimitedRequest = FastifyRequest & { principal?: Caller };

/** One count a call makes: family, key and points. */
interface Charge {
  family: LimitFamily;
  key: string;
  points: number;
}

const LOGIN_PATHS = new Set(['/api/v1/auth/token', '/identity/token', '/identity/token/v1']);
const CAPTURE_PATHS = new Set(['/epcis/capture', '/epcis/events']);
/** Longer than any account name: such a body is refused by the route anyway. */
const MAX_USERNAME_KEY = 64;

/**
 * The limits of the Nest routes, checked after their guard (so the caller is known) and before
 * the handler: every authenticated call per credential (the API key when the call used one,
 * otherwise the account), login attempts per username and per client address, the daily
 * registration quota and EPCIS captures per enterprise. The resolution reads that bypass Nest are
 * counted by ResolutionLimitHook. A refusal is thrown as RATE_LIMITED after the headers are set, so
 * the route's exception filter writes it in its front door's envelope; quota points are given back
 * when the call then fails.
 */
@Injectable()
export class LimitsInterceptor implements NestInterceptor {
  constructor(private readonly limits: RequestLimits) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    const charges = this.chargesOf(request);
    if (charges.length === 0) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.admit(charges, reply)).pipe(
      switchMap((taken) =>
        next.handle().pipe(
          // A failed call gives its quota back; failed logins keep counting (that is what they limit).
          catchError((error: unknown) => from(this.giveBack(taken.filter((charge) => charge.family === 'registration'))).pipe(switchMap(() => throwError(() => error)))),
        ),
      ),
    );
  }

  private chargesOf(request: LimitedRequest): Charge[] {
    const charges: Charge[] = [];
    const principal = request.principal;
    if (principal) {
      charges.push({ family: 'authenticated', key: principal.apiKeyId ? `key:${principal.apiKeyId}` : `account:${principal.accountId}`, points: 1 });
    }
    const path = request.url.split('?', 1)[0];
    const method = request.method;
    if (method === 'POST' && LOGIN_PATHS.has(path)) {
      charges.push({ family: 'login-ip', key: this.limits.clientKey(request.socket.remoteAddress, request.headers['x-forwarded-for']), points: 1 });
      const username = (request.body as { username?: unknown } | undefined)?.username;
      // Usernames are compared case-insensitively: "Tools" and "tools" share their attempts.
      if (typeof username === 'string' && username.length <= MAX_USERNAME_KEY) charges.push({ family: 'login-username', key: username.toLowerCase(), points: 1 });
    }
    const enterprise = principal?.enterpriseId;
    if (enterprise) {
      const registrations = registrationsOf(method, path, request.body);
      if (registrations > 0) charges.push({ family: 'registration', key: `enterprise:${enterprise}`, points: registrations });
      if (method === 'POST' && CAPTURE_PATHS.has(path)) charges.push({ family: 'capture', key: `enterprise:${enterprise}`, points: 1 });
    }
    return charges.filter((charge) => this.limits.isLimited(charge.family));
  }

  /** Takes every charge, or none: on a refusal the ones already taken are given back and the refusal thrown. */
  private async admit(charges: Charge[], reply: FastifyReply): Promise<Charge[]> {
    const taken: Charge[] = [];
    for (const charge of charges) {
      const refusal = await this.limits.take(charge.family, charge.key, charge.points);
      if (refusal) {
        await this.giveBack(taken);
        setRefusalHeaders(reply, refusal);
        throw rateLimitedError(charge.family, refusal);
      }
      taken.push(charge);
    }
    return taken;
  }

  private async giveBack(taken: Charge[]): Promise<void> {
    await Promise.all(taken.map((charge) => this.limits.giveBack(charge.family, charge.key, charge.points)));
  }
}

/** Identifiers a call asks to create: a Handle REST PUT or an SNMS create is one, a batch one per item. */
function registrationsOf(method: string, path: string, body: unknown): number {
  if (method === 'PUT' && path.startsWith('/api/handles/')) return 1;
  if (method !== 'POST') return 0;
  if (path === '/identityv2/data') return 1;
  if (path === '/identityv2/data/batchCreate') return Array.isArray(body) ? Math.max(1, body.length) : 1;
  return 0;
}
