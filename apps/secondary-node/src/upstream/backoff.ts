import { status as GrpcStatus } from '@grpc/grpc-js';
import { describeFailure as describeAnyFailure } from '@idis/runtime';

/**
 * What a failed top-level call means for its outbox item:
 * - permanent: the top level refused this request for good (bad request, not ours, conflicting);
 *   retrying the same bytes cannot succeed, so the item is kept as failed for an operator;
 * - credentials: our signature was refused (rotated key, clock skew): refresh them, then retry;
 * - transient: anything else (unreachable, timeout, overloaded, internal): retry with backoff.
 */
export type FailureClass = 'permanent' | 'credentials' | 'transient';

const PERMANENT = new Set<number>([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.ALREADY_EXISTS,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.UNIMPLEMENTED,
]);

export function classifyFailure(error: unknown): FailureClass {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'number') return 'transient';
  if (code === GrpcStatus.UNAUTHENTICATED) return 'credentials';
  return PERMANENT.has(code) ? 'permanent' : 'transient';
}

/** True when the error says the top level could not be reached at all (the link is down). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || typeof code !== 'number';
}

/** A short, single-line description of a failed top-level call (gRPC status names), for last_error and the status page. */
export function describeFailure(error: unknown): string {
  return describeAnyFailure(error, GrpcStatus);
}
