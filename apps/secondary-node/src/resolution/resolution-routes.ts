import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type ParsedHandle, visibleValues } from '@idis/identifier';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Authenticator } from '../auth/authenticator';
import { addChallengeIfRefused, noteRefusedCredential } from '../auth/www-authenticate';
import type { Principal } from '../auth/principal';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import type { ResolutionDoor } from '../events/node-events';
import { replyWithError } from '../http/front-door-exception.filter';
import { refusedForNul } from '../http/nul-guard';
import { LEAN_ROUTE } from '../http/route-hooks';
import { queryBoolean, queryList, type QueryValue } from '../http/query-params';
import { handleFromPath, indexFromQuery, parseHandleOrThrow } from '../http/identifier-input';
import { HandleAuthenticator } from '../registry/handle-auth/handle-authenticator';
import { PrefixAccessService } from '../registry/prefix-access.service';
import { PrefixDirectory } from '../registry/prefix-directory.service';
import { RecordLabelsService } from '../registry/record-labels.service';
import { notFoundPage, productPage, redirectPage } from './proxy-page';
import { etagMatches, isPlainView, type RenderedReply, renderHandleReply, renderPlainReply, RESOLUTION_JSON_TYPE, RESOLUTION_VARY, type ResolutionView } from './reply-builder';
import { VIA_HEADER } from './remote-resolver';
import { missedL1Before } from './resolution-fast-path';
import { ResolutionService } from './resolution.service';
import type { FoundRecord, Resolution } from './resolution.types';

const HTML_TYPE = 'text/html; charset=utf-8';
const REDIRECT_SCHEMES = /^(https?|ftp):\/\//i;
/** A proxy path starts with a prefix: a digit first and a dot somewhere in the first segment. */
const PREFIX_SEGMENT = /^[0-9][^/]*\.[^/]*$/;

type Query = Record<string, QueryValue>;

/**
 * The hot read paths, registered straight on Fastify rather than through Nest's pipeline: the
 * Handle REST GET and the hdl.handle.net-style proxy. Both answer from the resolution caches and
 * honour HTTP validators (ETag / If-None-Match → 304) and Cache-Control from the record's TTL.
 */
@Injectable()
export class ResolutionRoutes implements OnModuleInit {
  private readonly logger = new Logger('Resolution');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly resolution: ResolutionService,
    private readonly authenticator: Authenticator,
    private readonly handleAuth: HandleAuthenticator,
    private readonly access: PrefixAccessService,
    private readonly directory: PrefixDirectory,
    private readonly labels: RecordLabelsService,
    private readonly events: EventHub,
    @Inject(RESOLUTION_CONFIG) private readonly config: ResolutionConfig,
  ) {}

  onModuleInit(): void {
    // A context without an HTTP server (a worker, a test of the caches) has no routes to add.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    // Lean routes: no per-route hooks (http/route-hooks.ts); refuse() adds the 401 challenge itself.
    fastify.get('/api/handles/*', { config: LEAN_ROUTE }, (request, reply) => this.handleRest(request, reply));
    fastify.get('/:prefix/*', { config: LEAN_ROUTE }, (request, reply) => this.proxy(request, reply));
  }

  /**
   * GET /api/handles/{handle}. An anonymous request answered from L1 (the hot case) runs to the
   * reply without a promise; everything else continues in handleRestAsync.
   */
  private handleRest(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    if (refusedForNul(request, reply, this.logger)) return undefined;
    const started = process.hrtime.bigint();
    let prefixKey = '-';
    const door = doorOf(request, 'handle_rest');
    try {
      const handle = handleFromPath(request.url);
      const parsed = parseHandleOrThrow(handle);
      prefixKey = parsed.prefixKey;
      const query = request.query as Query;
      if (Authenticator.hasCredential(request)) return this.handleRestAsync(request, reply, started, door, handle, parsed, undefined);
      const view = anonymousView(query);
      // L1 answers before any referral-loop check, as ResolutionService.resolve does; not read
      // twice when the fast path already missed it.
      const remembered = missedL1Before(request.raw) ? undefined : this.resolution.fromMemory(parsed);
      if (remembered === undefined) return this.handleRestAsync(request, reply, started, door, handle, parsed, view);
      this.answer(request, reply, started, door, handle, parsed, view, remembered);
    } catch (error) {
      this.events.signal('resolution.observed', prefixKey, 'error', elapsed(started), door);
      this.refuse(error, request, reply);
    }
    return undefined;
  }

  private async handleRestAsync(
    request: FastifyRequest,
    reply: FastifyReply,
    started: bigint,
    door: ResolutionDoor,
    handle: string,
    parsed: ParsedHandle,
    anonymous: ResolutionView | undefined,
  ): Promise<void> {
    try {
      const view = anonymous ?? (await this.viewFor(request, request.query as Query, parsed));
      const via = request.headers[VIA_HEADER];
      const hops = via === undefined ? undefined : viaFrom(via);
      // An anonymous request comes here after its L1 read missed (handleRest): not read again.
      const resolution = await (anonymous !== undefined ? this.resolution.resolveMissed(parsed, hops) : this.resolution.resolve(parsed, hops));
      this.answer(request, reply, started, door, handle, parsed, view, resolution);
    } catch (error) {
      this.events.signal('resolution.observed', parsed.prefixKey, 'error', elapsed(started), door);
      this.refuse(error, request, reply);
    }
  }

  private answer(request: FastifyRequest, reply: FastifyReply, started: bigint, door: ResolutionDoor, handle: string, parsed: ParsedHandle, view: ResolutionView, { entry, tier }: Resolution): void {
    // Bytes are kept only with an L1 entry: an L2 or database answer is a new entry every time.
    const rendered = tier === 'l1' && isPlainView(view) ? renderPlainReply(entry, handle, this.config.negativeTtlSeconds) : renderHandleReply(entry, handle, view, this.config.negativeTtlSeconds);
    this.send(request, reply, rendered, RESOLUTION_JSON_TYPE);
    this.events.signal('resolution.observed', parsed.prefixKey, entry.kind === 'missing' ? 'not_found' : tier, elapsed(started), door);
  }

  /**
   * GET /{prefix}/{suffix}: 302 to the record's URL value; ?noredirect shows the record (HTML, or
   * JSON for Accept: application/json); ?index= / ?type= choose among the values.
   */
  private async proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (refusedForNul(request, reply, this.logger)) return;
    const path = request.url.split('?', 1)[0];
    const firstSegment = path.slice(1, path.indexOf('/', 1));
    if (!PREFIX_SEGMENT.test(firstSegment)) {
      replyWithError(new DomainError('NOT_FOUND', `Cannot GET ${path}`), request, reply, this.logger);
      return;
    }
    const started = process.hrtime.bigint();
    let prefixKey = '-';
    const door = doorOf(request, 'proxy');
    const wantsJson = prefersJson(request.headers.accept);
    try {
      let handle: string;
      try {
        handle = decodeURIComponent(path.slice(1));
      } catch {
        throw new DomainError('INVALID_HANDLE', 'the handle in the path is not valid percent-encoded UTF-8');
      }
      const parsed = parseHandleOrThrow(handle);
      prefixKey = parsed.prefixKey;
      const query = request.query as Query;
      const view = await this.viewFor(request, query, parsed);
      const via = request.headers[VIA_HEADER];
      const { entry, tier } = await this.resolution.resolve(parsed, via === undefined ? undefined : viaFrom(via));
      this.events.signal('resolution.observed', prefixKey, entry.kind === 'missing' ? 'not_found' : tier, elapsed(started), door);
      if (entry.kind === 'missing') {
        // A foreign prefix: known when its node answered, unknown when the top level does not know it.
        const prefixKnown = entry.servedBy !== undefined ? true : entry.prefixUnknown ? false : await this.directory.isHomed(parsed.prefixKey);
        const rendered = renderHandleReply(entry, handle, view, this.config.negativeTtlSeconds);
        if (wantsJson) {
          this.send(request, reply, { ...rendered, body: JSON.stringify({ ...JSON.parse(rendered.body), prefixKnown }) }, RESOLUTION_JSON_TYPE);
        } else {
          this.send(request, reply, { ...rendered, body: notFoundPage(handle, parsed.prefix, prefixKnown, entry.prefixUnknown === true, entry.servedBy) }, HTML_TYPE);
        }
        return;
      }
      const noRedirect = queryBoolean('noredirect', query.noredirect) === true;
      const location = noRedirect ? undefined : redirectTarget(entry, view);
      if (location) {
        const rendered = renderHandleReply(entry, handle, view, this.config.negativeTtlSeconds);
        void reply.header('location', location);
        this.send(request, reply, { ...rendered, status: 302, body: redirectPage(location) }, HTML_TYPE);
        return;
      }
      const rendered = renderHandleReply(entry, handle, view, this.config.negativeTtlSeconds);
      if (wantsJson) {
        this.send(request, reply, rendered, RESOLUTION_JSON_TYPE);
      } else {
        // The product page: the values the caller may see, named by the record's template, with its enterprise.
        const shown = JSON.parse(rendered.body) as { values: FoundRecord['values'] };
        const labels = await this.labels.labelsOf(entry.prefixKey, entry.templateVersion);
        const body = productPage(handle, shown.values, { ...labels, templateVersion: entry.templateVersion });
        this.send(request, reply, { ...rendered, body, etag: pageEtag(body) }, HTML_TYPE);
      }
    } catch (error) {
      this.events.signal('resolution.observed', prefixKey, 'error', elapsed(started), door);
      this.refuse(error, request, reply);
    }
  }

  /** The error reply, with WWW-Authenticate on a 401 (these routes have no onSend hook to add it). */
  private refuse(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    replyWithError(error, request, reply, this.logger, () => addChallengeIfRefused(request, reply));
  }

  /** Anonymous callers see public values; the owner and operators also admin-readable ones. */
  private async viewFor(request: FastifyRequest, query: Query, parsed: ParsedHandle): Promise<ResolutionView> {
    const caller = await this.callerOf(request);
    if (!caller) return anonymousView(query);
    const publicOnly = queryBoolean('publicOnly', query.publicOnly) === true;
    const privateAllowed = !publicOnly && (await this.access.canReadPrivate(caller, parsed.prefixKey));
    return { ...anonymousView(query), privateAllowed };
  }

  /** A bearer token or API key (the Authenticator), or a Handle.Net identity (Basic, Authorization: Handle sessionId=…) as on the write door. */
  private async callerOf(request: FastifyRequest): Promise<Principal | undefined> {
    const header = request.headers.authorization;
    if (header !== undefined && !/^Bearer\s/i.test(header)) {
      let caller;
      try {
        caller = await this.handleAuth.fromHeader(header);
      } catch (error) {
        // The scheme was not one this door can use, or its credential did not hold: say so in the challenge.
        noteRefusedCredential(request, 'invalid_request', (error as Error).message);
        throw error;
      }
      if (caller) return caller.principal;
    }
    return this.authenticator.authenticate(request);
  }

  private send(request: FastifyRequest, reply: FastifyReply, rendered: Omit<RenderedReply, 'body'> & { body: string | Buffer }, contentType: string): void {
    void reply.header('etag', rendered.etag).header('cache-control', rendered.cacheControl).header('vary', RESOLUTION_VARY);
    if (rendered.status < 300 && etagMatches(request.headers['if-none-match'], rendered.etag)) {
      void reply.code(304).send();
      return;
    }
    void reply.code(rendered.status).header('content-type', contentType).send(rendered.body);
  }
}

/** Another secondary node resolving for its own caller says so with X-IDIS-Via: counted as cross-node, whichever HTTP door it used. */
function doorOf(request: FastifyRequest, door: ResolutionDoor): ResolutionDoor {
  return request.headers[VIA_HEADER] === undefined ? door : 'cross_node';
}

/** X-IDIS-Via: comma-separated node ids, bounded (a longer list is a loop anyway). */
function viaFrom(header: string | string[]): string[] {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.length > 1024) throw new DomainError('REFERRAL_LOOP', `the ${VIA_HEADER} header is too long: the request passed too many nodes`);
  return text
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
}

function anonymousView(query: Query): ResolutionView {
  if (query.publicOnly !== undefined) queryBoolean('publicOnly', query.publicOnly);
  return {
    indexes: query.index === undefined ? NONE : queryList(query.index).map((raw) => indexFromQuery(raw)),
    types: query.type === undefined ? NONE_TYPES : queryList(query.type),
    privateAllowed: false,
  };
}

const NONE: number[] = [];
const NONE_TYPES: string[] = [];

/** The first URL value among those the caller sees (after ?index= / ?type= when given). */
function redirectTarget(record: FoundRecord, view: ResolutionView): string | undefined {
  const visible = visibleValues(record.values, view.privateAllowed);
  const chosen = view.indexes.length > 0 ? visible.filter((v) => view.indexes.includes(v.index)) : visible;
  const wantedType = view.types.length > 0 ? view.types.map((t) => t.toUpperCase()) : ['URL'];
  for (const value of chosen) {
    const url = value.data.value;
    if (value.data.format === 'string' && typeof url === 'string' && wantedType.includes(value.type.toUpperCase()) && REDIRECT_SCHEMES.test(url)) return url;
  }
  return undefined;
}

/** The page also shows names and the enterprise, which change without the record: its validator is of its own bytes. */
function pageEtag(body: string): string {
  return `"p-${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}

function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.includes('application/json') && !accept.includes('text/html');
}

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
