import type { Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EventHub } from '../events/event-hub';
import { noteRefusalRecorded } from '../http/request-context';

/**
 * Announces a refused authorisation (401/403) to the audit log: no transaction, outcome
 * `refused`, the error code as reason. Who called, the request id and the client IP are the audit
 * listener's to take from the request context.
 */
export async function recordRefusal(events: EventHub, logger: Logger, request: FastifyRequest, code: string): Promise<void> {
  noteRefusalRecorded();
  try {
    await events.emit('audit.recorded', {
      entry: { action: 'auth.refused', target: `${request.method} ${request.url.split('?', 1)[0]}`.slice(0, 300), outcome: 'refused', reason: code },
    });
  } catch (error) {
    // The request is refused either way; a failing audit writer must not turn a 401/403 into a 500.
    logger.warn(`recording a refused call failed: ${(error as Error).message}`);
  }
}
