import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addRouteHook } from '../http/route-hooks';

/** RFC 6750 §3.1 error codes for a refused credential. */
export type BearerError = 'invalid_request' | 'invalid_token';

const REFUSAL = Symbol('idis:bearer-refusal');
type MarkedRequest = FastifyRequest & { [REFUSAL]?: { error: BearerError; description: string } };

/** Remembers why the credential of this request was refused, for its WWW-Authenticate header. */
export function noteRefusedCredential(request: FastifyRequest, error: BearerError, description: string): void {
  (request as MarkedRequest)[REFUSAL] = { error, description };
}

/** The challenge of a 401: `Bearer realm="idis"`, with the RFC 6750 error when a credential was sent and refused. */
export function challengeFor(request: FastifyRequest): string {
  const refusal = (request as MarkedRequest)[REFUSAL];
  if (!refusal) return 'Bearer realm="idis"';
  return `Bearer realm="idis", error="${refusal.error}", error_description="${quotable(refusal.description)}"`;
}

/**
 * Every 401 the node sends carries WWW-Authenticate (RFC 9110 §11.6.1), whatever front door or
 * filter produced it. A header already set (another scheme's challenge) is kept.
 */
export function installAuthChallenge(fastify: FastifyInstance): void {
  // Per route: the lean resolution routes add the challenge themselves (addChallengeIfRefused), so a resolution pays no onSend hook.
  addRouteHook(fastify, 'onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => {
    addChallengeIfRefused(request, reply);
    done(null, payload);
  });
}

/** Sets WWW-Authenticate on a reply whose status is 401 and that has none yet. */
export function addChallengeIfRefused(request: FastifyRequest, reply: FastifyReply): void {
  if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', challengeFor(request));
}

/** error_description is a quoted-string of printable ASCII without `"` and `\` (RFC 6750 §3). */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ').slice(0, 200);
}
