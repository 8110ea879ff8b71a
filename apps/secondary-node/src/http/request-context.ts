import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Who made the request, as the guard proved it (the auth capability's Principal, structurally). */
export interface RequestPrincipal {
  accountId: string;
  username: string;
  role: string;
  enterpriseId: string | null;
}

/**
 * What the node knows about the unit of work it is doing: an HTTP request, or an MQTT ingestion
 * batch (which has no request: its batch id stands in as the request id). Listeners that record
 * something (the audit log, the upstream outbox) read it instead of being handed it by every
 * emitter.
 */
export interface RequestContext {
  requestId: string;
  source: 'http' | 'mqtt';
  clientIp?: string;
  principal?: RequestPrincipal;
  /** The API key the caller authenticated with, when it used one. */
  apiKeyId?: string;
  /** The DomainError code a refused request ended with (set by the exception filter). */
  errorCode?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the work in progress, if any (none in start-up code and periodic tasks). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `work` (and everything it awaits) with `context` as the current context. */
export function runWithRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** Bounded, and only characters that are safe in a header, a log line and a CSV cell. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

/**
 * The request id of a request: the client's `X-Request-Id` when it is acceptable (1-128 letters,
 * digits or `._:@/+=-`), otherwise a fresh UUID (a bad one is replaced, never echoed).
 */
export function acceptRequestId(header: string | string[] | undefined): string {
  if (typeof header === 'string' && ACCEPTABLE_REQUEST_ID.test(header)) return header;
  return randomUUID();
}

/** Records who the caller is, for the audit log and the request's log line. */
export function notePrincipal(principal: RequestPrincipal, apiKeyId?: string): void {
  const context = storage.getStore();
  if (!context) return;
  context.principal = principal;
  if (apiKeyId !== undefined) context.apiKeyId = apiKeyId;
}

const CONTEXT = Symbol('idis.requestContext');
type CarriesContext = { [CONTEXT]?: RequestContext };

/** Keeps the context on the request object too: hooks that run outside it (onSend, onResponse) find it there. */
export function attachRequestContext(request: object, context: RequestContext): void {
  (request as CarriesContext)[CONTEXT] = context;
}

export function requestContextOf(request: object): RequestContext | undefined {
  return (request as CarriesContext)[CONTEXT];
}
