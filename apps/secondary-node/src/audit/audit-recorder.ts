import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventHub } from '../events/event-hub';
import type { AuditEntryInput } from '../events/node-events';
import { currentRequestContext, type RequestContext } from '../http/request-context';
import { AUDIT_FIELD_LIMITS as LIMIT, clip, sha256, stateDigest, type UnchainedRecord } from './audit-chain';
import { AuditRepository } from './audit.repository';

/**
 * Hears what must be recorded and appends it to the chain: inside the emitter's transaction when it
 * passes its manager (the row commits with the change, and a failed append fails the change), on
 * its own otherwise (a refused call). Who, from where and under which request id come from the
 * request context; before and after are kept as digests only.
 */
@Injectable()
export class AuditRecorder {
  constructor(
    private readonly repository: AuditRepository,
    events: EventHub,
  ) {
    events.on('audit.recorded', ({ manager, entry }) => this.record(manager, [entry]));
    events.on('audit.batch-recorded', ({ manager, entries, requestId }) => this.record(manager, entries, requestId));
  }

  /** `requestId`: the id of work that has no request context (an MQTT batch); it wins over the context's. */
  private async record(manager: EntityManager | undefined, entries: readonly AuditEntryInput[], requestId?: string): Promise<void> {
    if (entries.length === 0) return;
    const caller = callerFields(currentRequestContext());
    if (requestId !== undefined) caller.requestId = clip(requestId, LIMIT.requestId);
    const records = entries.map((entry) => toRecord(entry, caller));
    if (manager) await this.repository.append(manager, records);
    else await this.repository.transaction((own) => this.repository.append(own, records));
  }
}

type CallerFields = Pick<UnchainedRecord, 'actor' | 'actorId' | 'role' | 'apiKeyId' | 'requestId' | 'clientIp'>;

/** Who, from where and under which request id: the same for every entry of one call. */
function callerFields(context: RequestContext | undefined): CallerFields {
  const principal = context?.principal;
  return {
    actor: optional(principal?.username, LIMIT.actor),
    actorId: optional(principal?.accountId, LIMIT.actorId),
    role: optional(principal?.role, LIMIT.role),
    apiKeyId: optional(context?.apiKeyId, LIMIT.apiKeyId),
    requestId: optional(context?.requestId, LIMIT.requestId),
    clientIp: optional(context?.clientIp, LIMIT.clientIp),
  };
}

function toRecord(entry: AuditEntryInput, caller: CallerFields): Omit<UnchainedRecord, 'at'> {
  // Field by field (no spread of the caller's fields): one shape for every record of a batch.
  return {
    actor: caller.actor,
    actorId: caller.actorId,
    role: caller.role,
    apiKeyId: caller.apiKeyId,
    requestId: caller.requestId,
    clientIp: caller.clientIp,
    action: clip(entry.action, LIMIT.action),
    target: clip(entry.target, LIMIT.target),
    owner: optional(entry.owner, LIMIT.owner),
    outcome: entry.outcome,
    reason: optional(entry.reason, LIMIT.reason),
    beforeDigest: stateDigest(entry.before),
    afterDigest: entry.afterJson === undefined ? stateDigest(entry.after) : sha256(entry.afterJson),
  };
}

function optional(text: string | undefined | null, max: number): string | null {
  return text === undefined || text === null ? null : clip(text, max);
}
