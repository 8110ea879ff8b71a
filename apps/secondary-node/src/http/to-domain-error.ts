import { HttpException } from '@nestjs/common';
import { DomainError, type DomainErrorCode } from '../errors/domain-errors';

/** Turns whatever was thrown (Nest, Fastify, ours) into a DomainError so that one presenter applies. */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return new DomainError(codeForStatus(status), error.message);
  }
  // query_canceled: a heavy read ran into HEAVY_READ_STATEMENT_TIMEOUT_MS (config/heavy-read.config.ts).
  if ((error as { code?: unknown })?.code === '57014') {
    return new DomainError('QUERY_TOO_EXPENSIVE', 'the query took longer than this node allows; narrow it (a smaller depth, a shorter time range, a smaller page)');
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode < 500) {
    if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return new DomainError('PAYLOAD_TOO_LARGE', 'request body is larger than the limit of this node');
    }
    if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    }
    if (fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fastify.statusCode === 400) {
      return new DomainError('VALIDATION_FAILED', `malformed request: ${fastify.message ?? 'invalid JSON'}`);
    }
    return new DomainError(codeForStatus(fastify.statusCode), fastify.message ?? 'request refused');
  }
  return new DomainError('INTERNAL', 'internal error');
}

function codeForStatus(status: number): DomainErrorCode {
  switch (status) {
    case 400:
      return 'VALIDATION_FAILED';
    case 401:
      return 'AUTHENTICATION_REQUIRED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    default:
      return status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL';
  }
}
