import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { keysetRows } from '../../http/keyset-rows';
import { type RejectFilter, IngestionRejectsRepository, type RejectRow } from './ingestion-rejects.repository';
import type { RejectReason } from './message-validator';

export const REJECT_REASONS: readonly RejectReason[] = [
  'invalid_topic',
  'prefix_not_active',
  'payload_too_large',
  'invalid_payload',
  'foreign_commissioning',
  'storage_error',
  'event_id_conflict',
  'rate_limited',
];

/** Characters of the refused payload shown with each reject (the stored copy holds up to 64 KiB). */
const PAYLOAD_EXCERPT_CHARS = 200;

/** A refused message or capture as the console lists it. */
export interface RejectView {
  id: string;
  at: string;
  /** The enterprise prefix of the topic or capture (lower case); null when the topic named none. */
  prefix: string | null;
  source: 'mqtt' | 'capture';
  topic: string | null;
  reason: string;
  problems: Array<{ path: string; message: string }>;
  /** The eventID, when the payload held exactly one event that named it. */
  eventId?: string;
  payloadExcerpt: string;
}

export interface RejectQuery {
  /** Lower-cased prefix key. */
  prefixKey?: string;
  reason?: RejectReason;
  from?: Date;
  to?: Date;
}

/**
 * The latest ingestion rejects with their reasons: an operator sees all of them, an enterprise
 * those under its own prefixes. Asking for a prefix that is not the enterprise's own is refused
 * with the same answer whether it exists or not.
 */
@Injectable()
export class IngestionRejectsService {
  constructor(private readonly repository: IngestionRejectsRepository) {}

  async page(caller: Principal, query: RejectQuery, page: number, pageSize: number): Promise<{ items: RejectView[]; total: number; page: number; pageSize: number }> {
    const filter = await this.scoped(caller, query);
    const [rows, total] = await Promise.all([this.repository.page(filter, (page - 1) * pageSize, pageSize), this.repository.count(filter)]);
    return { items: rows.map(toView), total, page, pageSize };
  }

  /** Every matching reject, newest first, a page of the database at a time, for the CSV export (which may stop early). */
  async exportRows(caller: Principal, query: RejectQuery): Promise<{ total: number; rows: AsyncIterable<RejectView> }> {
    const filter = await this.scoped(caller, query);
    const repository = this.repository;
    const total = await repository.count(filter);
    async function* rows(): AsyncGenerator<RejectView> {
      for await (const row of keysetRows((before: string | undefined, limit) => repository.before(filter, before, limit), (r: RejectRow) => r.id)) yield toView(row);
    }
    return { total, rows: rows() };
  }

  private async scoped(caller: Principal, query: RejectQuery): Promise<RejectFilter> {
    const filter: RejectFilter = { prefixKey: query.prefixKey, reason: query.reason, from: query.from, to: query.to };
    if (caller.role === 'operator') return filter;
    if (caller.role !== 'enterprise' || !caller.enterpriseId) throw new DomainError('FORBIDDEN', 'ingestion rejects are read by operators and, for their own prefixes, enterprises');
    const owned = await this.repository.prefixKeysOfEnterprise(caller.enterpriseId);
    if (query.prefixKey !== undefined && !owned.includes(query.prefixKey)) {
      throw new DomainError('PREFIX_NOT_OWNED', `prefix ${query.prefixKey} is not one of your enterprise's prefixes`, [{ path: 'prefix', message: 'not one of your prefixes' }]);
    }
    return { ...filter, scope: owned };
  }
}

function toView(row: RejectRow): RejectView {
  const eventId = soleEventId(row.payload);
  return {
    id: row.id,
    at: row.receivedAt.toISOString(),
    prefix: row.enterprisePrefix,
    source: row.source,
    topic: row.topic,
    reason: row.reason,
    problems: row.problems,
    ...(eventId !== undefined ? { eventId } : {}),
    payloadExcerpt: [...row.payload.slice(0, PAYLOAD_EXCERPT_CHARS * 2)].slice(0, PAYLOAD_EXCERPT_CHARS).join(''),
  };
}

/**
 * The eventID of a payload holding one event (an event, or a document whose eventList has one
 * entry) that names it. A payload that is not JSON (why it was refused), holds several events or
 * was cut at 64 KiB when stored gives none.
 */
export function soleEventId(payload: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const list = (parsed as { epcisBody?: { eventList?: unknown } } | null)?.epcisBody?.eventList;
  const event = Array.isArray(list) ? (list.length === 1 ? list[0] : undefined) : parsed;
  const id = (event as { eventID?: unknown } | null | undefined)?.eventID;
  return typeof id === 'string' && id.length > 0 && id.length <= 1024 ? id : undefined;
}
