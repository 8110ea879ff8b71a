import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Authenticator } from '../auth/authenticator';
import { replyWithError } from '../http/front-door-exception.filter';
import { countedBefore } from './counted-mark';
import type { Refusal } from './local-tally';
import { rateLimitedError, setRefusalHeaders } from './refusal-reply';
import { RequestLimits } from './request-limits';

/** A proxy path starts with a prefix: a digit first and a dot somewhere in the first segment (as resolution-routes.ts). */
const PROXY_FIRST_SEGMENT = /^\/[0-9][^/?]*\.[^/?]*\//;
const SNMS_DETAIL = '/identityv2/data/detail';
const QUESTION_MARK = 0x3f;

/**
 * Counts the resolution reads in a Fastify onRequest hook, before any work is done: anonymous
 * callers per client address (family `resolution`), bearer-token callers of the two routes that
 * bypass Nest (Handle REST GET, proxy) per account (family `authenticated`; Nest routes count
 * those in LimitsInterceptor, after their guard). The check is an in-memory lookup: no await.
 */
@Injectable()
export class ResolutionLimitHook implements OnModuleInit {
  private readonly logger = new Logger('RateLimits');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly limits: RequestLimits,
    private readonly authenticator: Authenticator,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter || !(this.limits.isLimited('resolution') || this.limits.isLimited('authenticated'))) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (this.admit(request, reply)) done();
    });
  }

  /** false when the reply was sent (refused). Works on the raw URL: this runs on every request. */
  private admit(request: FastifyRequest, reply: FastifyReply): boolean {
    if (request.method !== 'GET' && request.method !== 'HEAD') return true;
    // Counted already by the resolution fast path, which then left the request to Fastify.
    const counted = countedBefore(request.raw);
    if (counted !== undefined) return counted === null || this.refuse(request, reply, 'resolution', counted);
    const url = request.url;
    const direct = url.startsWith('/api/handles/') || PROXY_FIRST_SEGMENT.test(url);
    if (!direct && !(url.startsWith(SNMS_DETAIL) && (url.length === SNMS_DETAIL.length || url.charCodeAt(SNMS_DETAIL.length) === QUESTION_MARK))) return true;
    const headers = request.headers;
    let family: 'resolution' | 'authenticated' = 'resolution';
    let key: string | undefined;
    if (headers.authorization !== undefined || headers['x-api-key'] !== undefined) {
      // Nest routes count credentialed calls after their guard; an unverifiable credential counts by address.
      if (!direct) return true;
      key = this.authenticator.limitKeyNow(headers);
      if (key !== undefined) family = 'authenticated';
    }
    key ??= this.limits.clientKey(request.socket.remoteAddress, headers['x-forwarded-for']);
    const refusal = this.limits.takeNow(family, key);
    return refusal === undefined || this.refuse(request, reply, family, refusal);
  }

  /** Sends the 429; false (the request goes no further). */
  private refuse(request: FastifyRequest, reply: FastifyReply, family: 'resolution' | 'authenticated', refusal: Refusal): false {
    setRefusalHeaders(reply, refusal);
    replyWithError(rateLimitedError(family, refusal), request, reply, this.logger);
    return false;
  }
}
