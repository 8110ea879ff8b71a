import { Inject, Injectable } from '@nestjs/common';
import { canonicalIdentifier } from '@idis/epcis';
import { NODE_SECRET } from '../../auth/node-secret';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { isVisible, TraceabilityAccess } from '../grants/traceability-access.service';
import type { EventQuery } from './event-query';
import { type DiscoveryResource, EventQueryRepository } from './event-query.repository';
import { HeavyReadGate } from './heavy-read-gate';
import { PageTokens, queryDigest } from './page-token';
import { type EpcisQueryDocument, queryDocument } from './query-document';

export interface QueryPage {
  document: EpcisQueryDocument;
  /** present when another page follows */
  next: { token: string; expiresAt: Date } | null;
}

const MAX_EVENT_ID_LENGTH = 1024;

/** EPCIS 2.0 SimpleEventQuery over the stored events, limited to what the caller may read. */
@Injectable()
export class EpcisQueryService {
  private readonly tokens: PageTokens;

  constructor(
    private readonly events: EventQueryRepository,
    private readonly access: TraceabilityAccess,
    @Inject(NODE_SECRET) nodeSecret: string,
    private readonly gate: HeavyReadGate,
  ) {
    this.tokens = new PageTokens(nodeSecret);
  }

  /** `GET /epcis/events`: a caller who may read nothing at all is refused (403) rather than shown an empty list. */
  async query(caller: Principal | undefined, query: EventQuery): Promise<QueryPage> {
    const visible = await this.access.readableScope(caller);
    return this.page(query, null, visible);
  }

  /** `GET /epcis/epcs/{epc}/events`: 404 when no event mentions it, 403 when the caller may see none of them. */
  async eventsOf(caller: Principal | undefined, epc: string, query: EventQuery): Promise<QueryPage> {
    const visible = await this.access.visiblePrefixes(caller);
    const identifier = identifierFromPath(epc);
    const result = await this.page(query, identifier, visible);
    if (query.nextPageToken === null && result.document.epcisBody.queryResults.resultsBody.eventList.length === 0) {
      const standing = await this.events.identifierStanding(identifier, visible);
      if (!standing.any) throw new DomainError('NOT_FOUND', `no event mentions ${epc}`);
      if (!standing.anyVisible) throw new DomainError('FORBIDDEN', `the events of ${epc} belong to enterprises that have not granted you access`);
    }
    return result;
  }

  /** `GET /epcis/events/{eventID}`: the event (and its error declaration), also found by its CBV 2.0 hash ID. */
  async event(caller: Principal | undefined, eventId: string): Promise<EpcisQueryDocument> {
    const visible = await this.access.visiblePrefixes(caller);
    if (eventId.length === 0 || eventId.length > MAX_EVENT_ID_LENGTH) {
      throw new DomainError('VALIDATION_FAILED', `an eventID is 1 to ${MAX_EVENT_ID_LENGTH} characters`, [{ path: 'eventID', message: 'bad length' }]);
    }
    const event = await this.events.byId(eventId, visible);
    if (!event) throw new DomainError('NOT_FOUND', `there is no event ${eventId}`);
    if (!isVisible(visible, event.enterprisePrefix)) throw new DomainError('FORBIDDEN', `event ${eventId} belongs to an enterprise that has not granted you access`);
    return queryDocument([event]);
  }

  /**
   * `GET /epcis/eventTypes`, `/bizSteps`, `/bizLocations`, `/readPoints`, `/dispositions`, `/epcs`: the values found
   * in the events the caller may read (never another tenant's), as `{"@set": [...]}`, paged like the events.
   */
  async discover(
    caller: Principal | undefined,
    resource: DiscoveryResource,
    perPage: number,
    nextPageToken: string | null,
  ): Promise<{ body: { '@set': string[] }; next: QueryPage['next'] }> {
    const visible = await this.access.readableScope(caller);
    return this.gate.run(async () => {
      const digest = queryDigest({ discover: resource });
      // The token's position is the last value listed (its time slot is unused here).
      const after = nextPageToken === null ? null : this.tokens.read(nextPageToken, digest).eventId;
      const values = await this.events.distinctValues(resource, visible, after, perPage + 1);
      const page = values.slice(0, perPage);
      const next = values.length > perPage ? this.tokens.issue(digest, { eventTime: '', eventId: page[page.length - 1] }) : null;
      return { body: { '@set': page }, next };
    });
  }

  private page(query: EventQuery, identifier: string | null, visible: 'all' | string[]): Promise<QueryPage> {
    return this.gate.run(() => this.pageNow(query, identifier, visible));
  }

  private async pageNow(query: EventQuery, identifier: string | null, visible: 'all' | string[]): Promise<QueryPage> {
    const order = { orderBy: query.orderBy, orderDirection: query.orderDirection, eventCountLimit: query.eventCountLimit };
    const digest = queryDigest(
      // The default order keeps the digest of tokens issued before orderBy existed.
      order.orderBy === 'eventTime' && order.orderDirection === 'ASC' && order.eventCountLimit === null
        ? { identifier, filter: normalised(query.filter) }
        : { identifier, filter: normalised(query.filter), order },
    );
    const after = query.nextPageToken === null ? null : this.tokens.read(query.nextPageToken, digest);
    const returned = after?.count ?? 0;
    // eventCountLimit caps all pages together: this page takes at most what is left of it.
    const size = query.eventCountLimit === null ? query.perPage : Math.min(query.perPage, query.eventCountLimit - returned);
    if (size <= 0) return { document: queryDocument([]), next: null };
    const rows = await this.events.page({
      filter: query.filter,
      identifier,
      visible,
      after,
      limit: size + 1,
      orderBy: query.orderBy,
      orderDirection: query.orderDirection,
    });
    const pageRows = rows.slice(0, size);
    const last = pageRows[pageRows.length - 1];
    const total = returned + pageRows.length;
    const more = rows.length > size && (query.eventCountLimit === null || total < query.eventCountLimit);
    const position = { eventTime: query.orderBy === 'recordTime' ? last?.recordTimeKey : last?.eventTimeKey, eventId: last?.eventId };
    const next = more
      ? this.tokens.issue(digest, query.eventCountLimit === null ? { eventTime: position.eventTime, eventId: position.eventId } : { ...position, count: total })
      : null;
    return { document: queryDocument(pageRows), next };
  }
}

function normalised(filter: EventQuery['filter']): Record<string, unknown> {
  const sorted = (values: string[] | null) => (values === null ? null : [...values].sort());
  const base: Record<string, unknown> = {
    eventTypes: sorted(filter.eventTypes),
    ge: filter.geEventTime,
    lt: filter.ltEventTime,
    bizSteps: sorted(filter.bizSteps),
    anyEpc: sorted(filter.anyEpc),
  };
  // Filters added later join the digest only when used, so tokens of the original filters stay valid.
  const later: Record<string, unknown> = {
    geRecord: filter.geRecordTime,
    ltRecord: filter.ltRecordTime,
    dispositions: sorted(filter.dispositions),
    readPoints: sorted(filter.readPoints),
    bizLocations: sorted(filter.bizLocations),
    eventIds: sorted(filter.eventIds),
    matches: filter.matches.length > 0 ? filter.matches.map((m) => [m.parameter, sorted(m.exact), sorted(m.prefixes)]) : null,
    exists: filter.exists.length > 0 ? [...filter.exists].sort() : null,
  };
  for (const [key, value] of Object.entries(later)) if (value !== null) base[key] = value;
  return base;
}

function identifierFromPath(epc: string): string {
  const canonical = epc.length <= 1024 ? canonicalIdentifier(epc) : null;
  if (!canonical) {
    throw new DomainError('VALIDATION_FAILED', `${JSON.stringify(epc.slice(0, 100))} is not an identifier (hdl: handle, GS1 Digital Link URI or EPC URN)`, [
      { path: 'epc', message: 'not an identifier' },
    ]);
  }
  return canonical.canonical;
}
