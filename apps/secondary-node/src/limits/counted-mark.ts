import type { IncomingMessage } from 'node:http';
import type { Refusal } from './local-tally';

/**
 * A request the resolution fast path (resolution/resolution-fast-path.ts) already counted against
 * the anonymous-resolution limit before handing it to Fastify: the limit hook uses that decision
 * instead of counting the request a second time. null: admitted.
 */
const COUNTED = Symbol('idis:resolution-limit-counted');
type Marked = IncomingMessage & { [COUNTED]?: Refusal | null };

export function markCounted(request: IncomingMessage, refusal: Refusal | undefined): void {
  (request as Marked)[COUNTED] = refusal ?? null;
}

/** The decision taken for this request before, if it was counted: a refusal, or null (admitted). */
export function countedBefore(request: IncomingMessage): Refusal | null | undefined {
  return (request as Marked)[COUNTED];
}
