import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { codeProblem, sendProblem } from '@idis/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TopLevelError, type TopLevelErrorCode, httpStatusOf } from '../errors/top-level-errors';

const CODE_OF_STATUS: Record<number, TopLevelErrorCode> = { 400: 'INVALID_INPUT', 401: 'NOT_AUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 413: 'INVALID_INPUT', 415: 'INVALID_INPUT', 429: 'RATE_LIMITED' };

/** The HTTP front door's errors: RFC 9457 problem details with a stable machine `code`. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    replyWithProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

export function replyWithProblem(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  let code: TopLevelErrorCode;
  let status: number;
  let detail: string;
  if (exception instanceof TopLevelError) {
    code = exception.code;
    status = httpStatusOf[code];
    detail = exception.message;
  } else if (exception instanceof HttpException) {
    status = exception.getStatus();
    code = CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_INPUT');
    detail = exception.message;
  } else if (typeof (exception as { statusCode?: unknown })?.statusCode === 'number' && (exception as { statusCode: number }).statusCode < 500) {
    // Fastify's own errors (malformed JSON, body too large, wrong content type).
    status = (exception as { statusCode: number }).statusCode;
    code = CODE_OF_STATUS[status] ?? 'INVALID_INPUT';
    detail = (exception as Error).message;
  } else {
    status = 500;
    code = 'INTERNAL';
    detail = 'internal error of the top-level node';
    logger.error(`${request.method} ${request.url}: ${(exception as Error)?.stack ?? String(exception)}`);
  }
  // RFC 9110: a 401 names the scheme that would be accepted.
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="idis-top-level"');
  sendProblem(reply, codeProblem(code, status, detail, request.url));
}
