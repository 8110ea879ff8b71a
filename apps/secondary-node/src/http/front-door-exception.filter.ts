import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { redactQuery, sendJsonReply } from '@idis/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { frontDoorOf, presentError } from './error-presenters';
import { toDomainError } from './to-domain-error';
import { requestContextOf } from './request-context';

/**
 * The one HTTP exception filter: it maps any error to the envelope of the front door the request
 * came through (Handle REST, SNMS, native problem+json). Errors raised by Fastify before a route
 * runs (malformed JSON, body too large) go through the same function via the Fastify error handler.
 */
@Catch()
export class FrontDoorExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    replyWithError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/**
 * Writes `exception` in the envelope of the request's front door. `beforeSend` sees the reply with
 * its status set, before it is sent (a route without the per-route onSend hooks adds its headers there).
 */
export function replyWithError(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger, beforeSend?: (reply: FastifyReply) => void): void {
  const error = toDomainError(exception);
  const context = requestContextOf(request);
  if (context) context.errorCode = error.code;
  if (error.code === 'INTERNAL') {
    logger.error(`${request.method} ${redactQuery(request.url)}: ${(exception as Error)?.stack ?? String(exception)}`);
  }
  const answer = presentError(frontDoorOf(request.url), error, request.url);
  if (beforeSend) beforeSend(reply.status(answer.status));
  sendJsonReply(reply, answer);
}
