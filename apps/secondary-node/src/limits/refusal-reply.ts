import type { FastifyReply } from 'fastify';
import { DomainError } from '../errors/domain-errors';
import type { LimitFamily } from './limits.config';
import type { Refusal } from './local-tally';

/** What each family counts, as a refusal names it (never whether an account or key exists). */
const COUNTED: Record<LimitFamily, string> = {
  resolution: 'anonymous requests from this address',
  authenticated: 'requests with this credential',
  registration: 'identifier registrations of this enterprise (quota)',
  capture: 'EPCIS captures of this enterprise',
  mqtt: 'MQTT messages for this enterprise prefix',
  'login-username': 'login attempts for this username',
  'login-ip': 'login attempts from this address',
};

/** Whole seconds to wait, at least 1. */
export function retryAfterSeconds(refusal: Refusal): number {
  return Math.max(1, Math.ceil(refusal.resetMs / 1000));
}

export function describeWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} minutes`;
  return seconds === 1 ? 'second' : `${seconds} seconds`;
}

/** The refusal's message, the same on every front door. */
export function refusalMessage(family: LimitFamily, refusal: Refusal): string {
  return `too many ${COUNTED[family]}: the limit is ${refusal.limit} per ${describeWindow(refusal.windowSeconds)}; retry after ${retryAfterSeconds(refusal)} s`;
}

/**
 * Retry-After and the IETF draft's RateLimit-Limit / -Remaining / -Reset / -Policy
 * (draft-ietf-httpapi-ratelimit-headers) on a refused reply; the body is the front door's envelope.
 */
export function setRefusalHeaders(reply: FastifyReply, refusal: Refusal): void {
  const wait = retryAfterSeconds(refusal);
  void reply
    .header('retry-after', String(wait))
    .header('ratelimit-limit', String(refusal.limit))
    .header('ratelimit-remaining', String(refusal.remaining))
    .header('ratelimit-reset', String(wait))
    .header('ratelimit-policy', `${refusal.limit};w=${refusal.windowSeconds}`);
}

/** The error the front door's presenter renders (429, Handle RC 3, SNMS status -2, problem details). */
export function rateLimitedError(family: LimitFamily, refusal: Refusal): DomainError {
  return new DomainError('RATE_LIMITED', refusalMessage(family, refusal));
}
