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
 * What the node knows about the HTTP request it is serving. Listeners that record something (the
 * audit log, the upstream outbox) read it instead of being handed it by every emitter. An MQTT
 * ingestion batch opens none: its batch id reaches its audit rows as a parameter (see
 * IngestPipeline), since an open context would keep the storage's promise hook on while batches
 * commit back to back.
 */
export interface RequestContext {
  requestId: string;
  clientIp?: string;
  principal?: RequestPrincipal;
  /** The API key the caller authenticated with, when it used one. */
  apiKeyId?: string;
  /** The DomainError code a refused request ended with (set by the exception filter). */
  errorCode?: string;
  /** The refusal was already announced to the audit log (by auth, which knows the credential): record it once. */
  refusalRecorded?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Contexts in use (open requests). On Node 20 an enabled
 * AsyncLocalStorage puts a hook on every promise of the process, which cost the resolution hot
 * path about a fifth of its throughput (measured with autocannon): so the storage is disabled
 * whenever no context is open, and a node that only resolves never pays for it.
 */
let openContexts = 0;
const released = new WeakSet<RequestContext>();

/** The context of the work in progress, if any (none in start-up code and periodic tasks). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Runs `work` (and everything it awaits) with `context` as the current context. The context must
 * have been opened (openRequestContext) and stays usable until it is released.
 */
export function runWithRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** Marks a context in use: the storage stays enabled until every open context is released. */
export function openRequestContext(context: RequestContext): RequestContext {
  released.delete(context);
  openContexts += 1;
  return context;
}

/** Ends the use of a context (idempotent); the last one out disables the storage. */
export function releaseRequestContext(context: RequestContext): void {
  if (released.has(context)) return;
  released.add(context);
  openContexts -= 1;
  if (openContexts === 0) storage.disable();
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
/** Auth announced this request's refusal to the audit log itself; the reply hook must not record it again. */
export function noteRefusalRecorded(): void {
  const context = storage.getStore();
  if (context) context.refusalRecorded = true;
}

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
