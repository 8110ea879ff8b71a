import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { type ParsedHandle, parseHandle } from '@idis/identifier';
import { EventHub } from '../events/event-hub';
import { API_SECURITY_HEADERS } from '../http/hardening';
import { HANDLES_PATH, handleFromPath } from '../http/identifier-input';
import { markCounted } from '../limits/counted-mark';
import { RequestLimits } from '../limits/request-limits';
import { etagMatches, renderPlainReply, RESOLUTION_JSON_TYPE, RESOLUTION_VARY } from './reply-builder';
import { VIA_HEADER } from './remote-resolver';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import { ResolutionService } from './resolution.service';
import type { Resolution } from './resolution.types';

const SECURITY_HEADERS: readonly string[] = Object.entries(API_SECURITY_HEADERS).flat();

/**
 * Set on a request whose L1 read missed here: the route must not read L1 again, or each miss would
 * count twice in the admission policy's frequency sketch (and admit the long tail).
 */
const L1_MISSED = Symbol('idis:fast-path-l1-missed');
type Marked = IncomingMessage & { [L1_MISSED]?: true };

/** Whether the fast path already read L1 for this request and missed. */
export function missedL1Before(request: IncomingMessage): boolean {
  return (request as Marked)[L1_MISSED] === true;
}

export interface FastPathOptions {
  /** The URL length refused by the hardening hook (MAX_URL_LENGTH): a longer URL is left to it. */
  maxUrlLength: number;
}

/**
 * The hot case of the Handle REST GET answered before Fastify routes the request: an anonymous
 * `GET /api/handles/{handle}` without a query string whose record L1 holds. It writes what the lean
 * route would (the record's bytes, ETag, Cache-Control from the TTL left, Vary, the API security
 * headers; 304 on If-None-Match; the negative entry's 404) and signals the same observation, without
 * Fastify's request and reply objects, router, hooks and header bookkeeping: on a slow machine
 * those cost an L1 hit about as much as the rest of its work (issue 17 item 5).
 *
 * Anything else goes to Fastify untouched, before a byte is written: another method or path, a
 * query string, a percent-encoded NUL, credentials, X-IDIS-Via, a URL over the length limit, a
 * handle that does not parse, an L1 miss, and every request once the node is shutting down. The
 * anonymous-resolution rate limit is counted here when it applies, once: the limit hook reads
 * the mark instead of counting again (limits/counted-mark.ts).
 *
 * Installed by bootstrap only where the lean route adds nothing per request: without CORS (its
 * headers depend on the request's Origin) and without resolution log lines (LOG_LEVEL=debug,
 * LOG_RESOLUTION_SAMPLE_RATE).
 */
@Injectable()
export class ResolutionFastPath implements OnModuleDestroy {
  private open = false;
  private maxUrlLength = 0;
  /** Requests answered here since start (idis_resolution_fast_path_answers_total). */
  private answered = 0;
  private readonly limited: boolean;

  constructor(
    private readonly resolution: ResolutionService,
    private readonly events: EventHub,
    @Inject(RESOLUTION_CONFIG) private readonly config: ResolutionConfig,
    // Absent where the resolution module runs without the limits capability (a test of the caches).
    @Optional() private readonly limits?: RequestLimits,
  ) {
    this.limited = limits?.isLimited('resolution') === true;
  }

  /**
   * Puts the fast path in front of the server's one `request` listener (Fastify's handler, which
   * gets every request the fast path does not answer). Call before the server listens.
   */
  install(server: Server, options: FastPathOptions): void {
    const listeners = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
    if (listeners.length !== 1) throw new Error(`the resolution fast path goes in front of exactly one request listener; the server has ${listeners.length}`);
    const [routed] = listeners;
    server.removeListener('request', routed);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.answer(request, response)) routed.call(server, request, response);
    });
    this.maxUrlLength = options.maxUrlLength;
    this.open = true;
  }

  /** From here on Fastify answers everything (its 503 while closing included). */
  onModuleDestroy(): void {
    this.open = false;
  }

  get answers(): number {
    return this.answered;
  }

  /** true: answered; false: nothing was written and the request is Fastify's. */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    if (!this.open || request.method !== 'GET') return false;
    const url = request.url as string;
    if (!url.startsWith(HANDLES_PATH) || url.length > this.maxUrlLength || url.includes('?') || url.includes('%00')) return false;
    const headers = request.headers;
    if (headers.authorization !== undefined || headers['x-api-key'] !== undefined || headers[VIA_HEADER] !== undefined) return false;
    const started = process.hrtime.bigint();
    let handle: string;
    let parsed: ParsedHandle;
    try {
      handle = handleFromPath(url);
      parsed = parseHandle(handle);
    } catch {
      // Refused by the route, in its front door's envelope.
      return false;
    }
    if (this.limited && this.limits) {
      const refusal = this.limits.takeNow('resolution', this.limits.clientKey(request.socket.remoteAddress, headers['x-forwarded-for']));
      markCounted(request, refusal);
      if (refusal !== undefined) return false;
    }
    const remembered = this.resolution.fromMemory(parsed);
    if (remembered === undefined) {
      (request as Marked)[L1_MISSED] = true;
      return false;
    }
    const { entry } = remembered;
    try {
      this.write(request, response, entry, handle);
    } catch (error) {
      // Before the head was written the route answers (and reports) it; after, the reply is cut.
      if (!response.headersSent) return false;
      response.destroy(error as Error);
      return true;
    }
    this.answered += 1;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.events.signal('resolution.observed', parsed.prefixKey, entry.kind === 'missing' ? 'not_found' : 'l1', seconds, 'handle_rest');
    return true;
  }

  private write(request: IncomingMessage, response: ServerResponse, entry: Resolution['entry'], handle: string): void {
    const rendered = renderPlainReply(entry, handle, this.config.negativeTtlSeconds);
    const head = ['etag', rendered.etag, 'cache-control', rendered.cacheControl, 'vary', RESOLUTION_VARY, ...SECURITY_HEADERS];
    if (rendered.status < 300 && etagMatches(request.headers['if-none-match'], rendered.etag)) {
      response.writeHead(304, head);
      response.end();
      return;
    }
    head.push('content-type', RESOLUTION_JSON_TYPE, 'content-length', String(rendered.body.length));
    response.writeHead(rendered.status, head);
    response.end(rendered.body);
  }
}
