import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { problemInstance, type ProblemDetails, redactQuery, sendProblem } from '@idis/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DomainErrorCode, httpStatusOf } from '../../errors/domain-errors';
import { toDomainError } from '../../http/to-domain-error';

/** EPCIS 2.0 REST exception types (openapi.yaml `components/schemas/*Exception`). */
function epcisException(code: DomainErrorCode, status: number): { type: string; title: string } {
  if (status === 401 || status === 403) return { type: 'epcisException:SecurityException', title: 'Security exception' };
  if (status === 404) return { type: 'epcisException:NoSuchResourceException', title: 'No such resource' };
  if (code === 'RATE_LIMITED') return { type: 'urn:idis:problem:rate-limited', title: 'Too many requests' };
  if (code === 'PAYLOAD_TOO_LARGE') return { type: 'epcisException:CaptureLimitExceededException', title: 'Capture limit exceeded' };
  if (status === 400) return { type: 'epcisException:QueryParameterException', title: 'Query parameter is invalid' };
  if (status < 500) return { type: 'epcisException:ValidationException', title: 'Request is invalid' };
  return { type: 'epcisException:ImplementationException', title: 'Implementation exception' };
}

/**
 * Errors of the EPCIS query routes as EPCIS-style RFC 7807 problems: {type: "epcisException:…",
 * title, status, detail, instance}, plus the node's stable `code` and field `errors`.
 */
@Catch()
export class EpcisProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('EPCIS');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const error = toDomainError(exception);
    if (error.code === 'INTERNAL') this.logger.error(`${request.method} ${redactQuery(request.url)}: ${(exception as Error)?.stack ?? String(exception)}`);
    const status = httpStatusOf[error.code];
    const problem: ProblemDetails = { ...epcisException(error.code, status), status, detail: error.message, instance: problemInstance(request.url), code: error.code };
    if (error.problems.length > 0) problem.errors = error.problems;
    sendProblem(http.getResponse<FastifyReply>(), problem);
  }
}
