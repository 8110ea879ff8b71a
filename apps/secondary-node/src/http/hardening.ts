import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerOptions } from 'node:http';
import { DomainError } from '../errors/domain-errors';
import { replyWithError } from './front-door-exception.filter';
import type { HardeningConfig } from './hardening.config';
import { depthLimitedBody } from './json-depth';
import { addRouteHook } from './route-hooks';
import type { Readable } from 'node:stream';

/**
 * The Fastify server options of HardeningConfig: header size (Node's parser answers 431 beyond
 * it), request and header timeouts (408), the idle and keep-alive timeouts of a connection.
 */
export function hardenedServerOptions(config: HardeningConfig): { connectionTimeout: number; keepAliveTimeout: number; requestTimeout: number; http: ServerOptions } {
  return {
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    http: {
      maxHeaderSize: config.maxHeaderBytes,
      headersTimeout: config.headersTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
  };
}

/**
 * Content-Security-Policy of every reply. No inline script anywhere; inline styles are allowed
 * because the proxy's HTML pages carry one <style> block and Swagger UI (/docs) sets styles inline.
 * JSON replies are not documents, so the policy costs them nothing.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/** Headers a browser client may send and read across origins (when CORS_ORIGINS allows it). */
const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'If-None-Match'];
const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'Link', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy', 'X-Request-Id'];

/**
 * Registers what every request passes before a route: security headers (helmet's), the URL length
 * check (414), the CORS policy of CORS_ORIGINS (none by default: no CORS headers, so browsers
 * on other origins cannot read replies), and a check that refuses a JSON body nesting deeper than
 * MAX_JSON_DEPTH with 400 while it arrives, before it is parsed. Called by bootstrap before the app is initialised.
 */
export async function installHardening(app: NestFastifyApplication, config: HardeningConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const logger = new Logger('HTTP');
  const documentHeaders = await helmetHeaders();
  // Static sets of headers per reply: @fastify/helmet itself rebuilds its middleware on every
  // request (two hooks, one async), which cost about a tenth of an L1-hit resolution's CPU.
  const setSecurityHeaders = (request: FastifyRequest, reply: FastifyReply): void => {
    void reply.headers(isApiPath(request.url) ? API_SECURITY_HEADERS : documentHeaders);
  };
  const refuseLongUrl = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.url.length <= config.maxUrlLength) return false;
    replyWithError(new DomainError('URI_TOO_LONG', `the request target is ${request.url.length} characters long; the limit is ${config.maxUrlLength}`), request, reply, logger);
    return true;
  };
  if (config.corsOrigins.length === 0) {
    // The security headers and the URL length check in one hook: every resolution pays each hook.
    fastify.addHook('onRequest', (request, reply, done) => {
      setSecurityHeaders(request, reply);
      if (!refuseLongUrl(request, reply)) done();
    });
  } else {
    fastify.addHook('onRequest', (request, reply, done) => {
      setSecurityHeaders(request, reply);
      done();
    });
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      // Bearer tokens and API keys, never cookies: credentialed CORS stays off.
      credentials: false,
      maxAge: 600,
    });
    // After CORS, so that a refusal carries its headers too (a browser could not read it otherwise).
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!refuseLongUrl(request, reply)) done();
    });
  }
  installJsonDepthLimit(fastify, config.maxJsonDepth);
}

/**
 * The security headers of a machine-facing JSON reply (OWASP REST Security Cheat Sheet): it is
 * never a document, so it may load nothing and be framed by nothing, is not content-sniffed, and
 * is reached over HTTPS once a browser has seen HTTPS. The document headers (COOP, Origin-Agent-
 * Cluster, DNS prefetch, download options, cross-domain policies, X-XSS-Protection) only act on
 * pages, and each costs every resolution its bytes twice: the node writing them and the client
 * parsing them (on this 2-core machine the full set cost L1-hit resolutions about a third of their
 * rate; `npm run bench -- resolution`).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The JSON front doors: Handle REST (/api/handles, /api/sessions, /api/v1 …), SNMS (/identityv2,
 * /identity), EPCIS (/epcis), and the machine endpoints. Everything else (the proxy's pages, the
 * console, /docs) gets the document headers.
 */
export function isApiPath(url: string): boolean {
  return (
    url.startsWith('/api/') ||
    url.startsWith('/identityv2/') ||
    url.startsWith('/identity/') ||
    url.startsWith('/epcis/') ||
    url === '/epcis' ||
    url.startsWith('/health') ||
    url.startsWith('/metrics')
  );
}

/**
 * The headers @fastify/helmet sets with this node's options, read once at start-up from a
 * throwaway Fastify instance (the options are the same for every route, so the headers are too).
 */
export async function helmetHeaders(): Promise<Record<string, string>> {
  const probe = Fastify();
  try {
    await probe.register(helmet, { global: true, contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES } });
    probe.get('/', (_request, reply) => reply.send(''));
    const reply = await probe.inject({ method: 'GET', url: '/' });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers)) {
      if (!PLAIN_REPLY_HEADERS.has(name) && typeof value === 'string') headers[name] = value;
    }
    return headers;
  } finally {
    await probe.close();
  }
}

/** What any reply of the probe carries without helmet. */
const PLAIN_REPLY_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * JSON bodies (application/json, application/*+json) pass the depth check while they arrive, on
 * each route that reads a body (no route reads the body of a request it does not match: a 404 is
 * answered before anything would walk it).
 */
function installJsonDepthLimit(fastify: FastifyInstance, maxDepth: number): void {
  addRouteHook(fastify, 'preParsing', (request: FastifyRequest, _reply: FastifyReply, payload: Readable, done: (error: Error | null, payload?: Readable) => void) => {
    const type = request.headers['content-type'];
    if (type === undefined || !JSON_TYPE.test(type)) {
      done(null, payload);
      return;
    }
    done(null, depthLimitedBody(payload, maxDepth));
  }, { bodies: true });
}
