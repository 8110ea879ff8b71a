import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Transport-agnostic errors of the top-level node. Services throw these; the gRPC filter maps the
 * code to a gRPC status, the HTTP filter to problem+json with an HTTP status.
 */
export type TopLevelErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_AUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ILLEGAL_STATE'
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL';

export class TopLevelError extends Error {
  constructor(
    readonly code: TopLevelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TopLevelError';
  }
}

export const grpcStatusOf: Record<TopLevelErrorCode, GrpcStatus> = {
  INVALID_INPUT: GrpcStatus.INVALID_ARGUMENT,
  NOT_AUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  FORBIDDEN: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  ILLEGAL_STATE: GrpcStatus.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  INTERNAL: GrpcStatus.INTERNAL,
};

export const httpStatusOf: Record<TopLevelErrorCode, number> = {
  INVALID_INPUT: 400,
  NOT_AUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ILLEGAL_STATE: 409,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

export function invalid(message: string): TopLevelError {
  return new TopLevelError('INVALID_INPUT', message);
}
