import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Logger as Pino } from 'pino';
import { EventHub } from '../events/event-hub';
import {
  acceptRequestId,
  attachRequestContext,
  openRequestContext,
  releaseRequestContext,
  type RequestPrincipal,
  requestContextOf,
  runWithRequestContext,
} from '../http/request-context';
import type { LoggingConfig } from './logging.config';

/** The resolution routes (Handle REST GET, proxy, SNMS detail): counted by metrics, not logged one by one. */
const RESOLUTION_ROUTES = new Set(['/api/handles/*', '/:prefix/*', '/identityv2/data/detail']);
/** Probed every few seconds by machines: their lines stay at debug whatever they are. */
const QUIET_ROUTES = new Set(['/health', '/metrics']);
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
type PrincipalCarrier = FastifyRequest & { principal?: RequestPrincipal };

export interface RequestLoggingOptions {
  logger: Pino;
  events: EventHub;
  config: LoggingConfig;
}

/**
 * Per-request work, attached route by route as Fastify registers them (call before the app is
 * initialised): every route but the resolution reads gets a request context (request id from a
 * valid `X-Request-Id` or a new one, echoed in the reply; client IP; later the principal), a log
 * line when it ends (info for writes, operator calls and refusals, debug for other reads), and
 * an audit row when it is refused (401/403). The resolution routes get nothing at all, so their
 * hot path costs what it cost before, unless LOG_LEVEL=debug or LOG_RESOLUTION_SAMPLE_RATE asks
 * for their lines.
 */
export function installRequestLogging(fastify: FastifyInstance, options: RequestLoggingOptions): void {
  const { logger, events, config } = options;
  const traceResolutions = logsResolutions(logger, config);

  const openContext: Hook = (request, reply, done) => {
    const context = openRequestContext({ requestId: acceptRequestId(request.headers['x-request-id']), clientIp: request.ip });
    attachRequestContext(request, context);
    void reply.header('x-request-id', context.requestId);
    runWithRequestContext(context, done);
  };

  // The body is parsed between onRequest and preHandler, in callbacks of the socket's own async
  // context: the context is entered again so that guards, handlers and listeners see it.
  const enterContext: Hook = (request, _reply, done) => {
    const context = requestContextOf(request);
    if (context) runWithRequestContext(context, done);
    else done();
  };

  const recordRefusal = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (reply.statusCode !== 401 && reply.statusCode !== 403) return payload;
    const context = requestContextOf(request);
    if (!context || context.refusalRecorded) return payload;
    const principal = context.principal ?? (request as PrincipalCarrier).principal;
    context.principal = principal;
    try {
      await runWithRequestContext(context, () =>
        events.emit('audit.recorded', {
          entry: {
            action: 'auth.refused',
            target: `${request.method} ${pathOf(request.url)}`.slice(0, 512),
            owner: principal?.enterpriseId ?? undefined,
            outcome: 'refused',
            reason: context.errorCode ?? String(reply.statusCode),
          },
        }),
      );
    } catch (error) {
      // The refusal stands whether or not it could be recorded; the failure is an operator's concern.
      logger.error({ reqId: context.requestId, err: error }, 'refused request not recorded in the audit log');
    }
    return payload;
  };

  const release = (request: FastifyRequest, done: () => void) => {
    const context = requestContextOf(request);
    if (context) releaseRequestContext(context);
    done();
  };

  const logLine = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const context = requestContextOf(request);
    if (context) releaseRequestContext(context);
    const principal = context?.principal ?? (request as PrincipalCarrier).principal;
    const status = reply.statusCode;
    const route = request.routeOptions.url ?? '';
    const noteworthy = !READS.has(request.method) || principal?.role === 'operator' || status === 401 || status === 403 || status === 429;
    const level = status >= 500 ? 'error' : noteworthy && !QUIET_ROUTES.has(route) ? 'info' : 'debug';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          reqId: context?.requestId,
          method: request.method,
          route,
          path: pathOf(request.url),
          status,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
          principal: principal?.username,
          role: principal?.role,
          apiKeyId: context?.apiKeyId,
          ip: request.ip,
        },
        'request',
      );
    }
    done();
  };

  const logResolution = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const sampled = config.resolutionSampleRate > 0 && Math.random() < config.resolutionSampleRate;
    const level = sampled ? 'info' : 'debug';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          reqId: acceptRequestId(request.headers['x-request-id']),
          method: request.method,
          route: request.routeOptions.url,
          path: pathOf(request.url),
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
          ip: request.ip,
        },
        'resolution',
      );
    }
    done();
  };

  fastify.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (RESOLUTION_ROUTES.has(route.url) && methods.every((m) => READS.has(m))) {
      if (traceResolutions) route.onResponse = [...hooks(route.onResponse), logResolution] as RouteOptions['onResponse'];
      return;
    }
    route.onRequest = [openContext, ...hooks(route.onRequest)] as RouteOptions['onRequest'];
    route.preHandler = [enterContext, ...hooks(route.preHandler)] as RouteOptions['preHandler'];
    route.onSend = [...hooks(route.onSend), recordRefusal] as RouteOptions['onSend'];
    route.onResponse = [...hooks(route.onResponse), logLine] as RouteOptions['onResponse'];
    // A request whose client went away may never reach onResponse: its context is released here.
    route.onRequestAbort = [...hooks(route.onRequestAbort), release] as RouteOptions['onRequestAbort'];
  });
}

/** Whether resolutions get log lines (LOG_LEVEL=debug, LOG_RESOLUTION_SAMPLE_RATE): an onResponse hook on their routes. */
export function logsResolutions(logger: Pino, config: LoggingConfig): boolean {
  return logger.isLevelEnabled('debug') || config.resolutionSampleRate > 0;
}

function hooks(existing: unknown): unknown[] {
  if (existing === undefined || existing === null) return [];
  return Array.isArray(existing) ? existing : [existing];
}

function pathOf(url: string): string {
  return url.split('?', 1)[0].slice(0, 1024);
}
