import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AesGcmSealer, hkdfSha256Key, type SealedFormat } from '@idis/runtime';
import { NODE_SECRET } from '../../auth/node-secret';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import type { QueryValue } from '../../http/query-params';
import { TraceabilityAccess } from '../grants/traceability-access.service';
import { EVENTS_PARAMETERS, type EventQuery, parseEventQuery } from '../query/event-query';
import { EpcisQueryService, type QueryPage } from '../query/epcis-query.service';
import { EventFeed } from './event-feed';
import type { FeedPosition } from './event-matcher';
import { type NamedQueryRow, type QueryParameters, type Subscriber, type SubscriptionRow, SubscriptionsRepository } from './subscriptions.repository';
import { SUBSCRIPTIONS_CONFIG, type SubscriptionsConfig } from './subscriptions.config';
import { checkWebhookTarget } from './webhook-target';

/** The parameters a named query may hold: the SimpleEventQuery's, without the paging of one request. */
export const NAMED_QUERY_PARAMETERS = EVENTS_PARAMETERS.filter((name) => name !== 'perPage' && name !== 'nextPageToken');

/** Query names are one URL path segment. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;
/** The stored definition of one query is at most this long (its JSON). */
const MAX_DEFINITION_CHARS = 16 * 1024;
const MAX_PARAMETERS = 50;
const SECRET_LENGTH = { min: 8, max: 256 };
const SCHEDULE_FIELDS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'];

/** The webhook secrets are sealed under a key derived from the node secret (a database dump alone cannot sign). */
const SEALED_FORMAT: SealedFormat = { prefix: 'v1.', order: ['iv', 'ciphertext', 'tag'] };

/** A named query as the binding shows it: `{name, query}`. */
export interface NamedQueryView {
  name: string;
  query: QueryParameters;
  createdAt: string;
}

/** A subscription as the binding shows it (never its secret). */
export interface SubscriptionView {
  subscriptionID: string;
  queryName: string;
  dest: string;
  stream: true;
  initialRecordTime: string;
  createdAt: string;
  /** How far it has delivered: the record time of the last acknowledged position (GS1-Query-Min-Record-Time). */
  minRecordTime: string;
  deliveredEvents: number;
  lastDeliveredAt: string | null;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

/** Who owns a named query: an enterprise (all its accounts and keys), or else the account itself (partners, operators). */
export function ownerOf(principal: Principal): string {
  return principal.role === 'enterprise' && principal.enterpriseId ? `enterprise:${principal.enterpriseId}` : `account:${principal.accountId}`;
}

export function subscriberOf(principal: Principal): Subscriber {
  const subscriber: Subscriber = { accountId: principal.accountId, username: principal.username, role: principal.role, enterpriseId: principal.enterpriseId };
  if (principal.apiKeyId !== undefined) subscriber.apiKeyId = principal.apiKeyId;
  if (principal.keyScope !== undefined) subscriber.keyScope = principal.keyScope;
  return subscriber;
}

/** The stored parameters as a query string would carry them, for parseEventQuery. */
export function queryValues(parameters: QueryParameters): Record<string, QueryValue> {
  return { ...parameters };
}

/** Parses a stored definition (it was checked when created, so this does not fail for stored ones). */
export function parseDefinition(parameters: QueryParameters, paging: { perPage?: string; nextPageToken?: string } = {}): EventQuery {
  const values: Record<string, QueryValue> = queryValues(parameters);
  if (paging.perPage !== undefined) values.perPage = paging.perPage;
  if (paging.nextPageToken !== undefined) values.nextPageToken = paging.nextPageToken;
  return parseEventQuery(values, EVENTS_PARAMETERS);
}

/** A time key (UTC, microseconds, fixed width) of an ISO 8601 date-time, or null if it is not one. */
export function timeKeyOf(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const millis = Date.parse(text);
  if (Number.isNaN(millis)) return null;
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  const micro = fraction.length > 3 ? fraction.slice(3, 6).padEnd(3, '0') : '000';
  return `${new Date(millis).toISOString().slice(0, 23)}${micro}Z`;
}

/**
 * EPCIS 2.0 named queries (REST binding `/queries`) and their webhook subscriptions. Every row
 * belongs to its owner (ownerOf): another tenant gets 404 for it, as if it did not exist.
 */
@Injectable()
export class NamedQueriesService {
  private readonly sealer: AesGcmSealer;
  /** Open WebSocket streams per owner on this replica (they count towards EPCIS_SUBSCRIPTIONS_MAX). */
  private readonly openStreams = new Map<string, number>();
  private readonly deletionListeners = new Set<(queryId: string) => void>();
  private readonly creationListeners = new Set<() => void>();

  constructor(
    private readonly repository: SubscriptionsRepository,
    private readonly queries: EpcisQueryService,
    private readonly access: TraceabilityAccess,
    private readonly feed: EventFeed,
    @Inject(SUBSCRIPTIONS_CONFIG) private readonly config: SubscriptionsConfig,
    @Inject(NODE_SECRET) nodeSecret: string,
  ) {
    this.sealer = new AesGcmSealer(hkdfSha256Key(nodeSecret, 'idis-secondary-node', 'epcis-webhook-secret-v1'), SEALED_FORMAT);
  }

  /** `POST /epcis/queries` `{name, query}`. */
  async create(caller: Principal, body: unknown): Promise<NamedQueryView> {
    await this.access.visiblePrefixes(caller);
    const { name, parameters } = checkDefinition(body);
    const created = await this.repository.createQuery(ownerOf(caller), name, parameters, subscriberOf(caller), this.config.maxNamedQueries);
    if (created === 'exists') throw new DomainError('CONFLICT', `you already have a query named ${name}`, [{ path: 'name', message: 'taken' }]);
    if (created === 'too-many') {
      throw new DomainError('VALIDATION_FAILED', `you hold ${this.config.maxNamedQueries} named queries already (EPCIS_NAMED_QUERIES_MAX); delete one first`, [{ path: 'name', message: 'too many queries' }]);
    }
    return view(created);
  }

  async list(caller: Principal, after: string | null, perPage: number): Promise<{ items: NamedQueryView[]; last: string | null }> {
    await this.access.visiblePrefixes(caller);
    const rows = await this.repository.listQueries(ownerOf(caller), after, perPage + 1);
    const page = rows.slice(0, perPage);
    return { items: page.map(view), last: rows.length > perPage ? page[page.length - 1].name : null };
  }

  async get(caller: Principal, name: string): Promise<NamedQueryView> {
    return view(await this.owned(caller, name));
  }

  /** Removes the query and, with it, its webhook subscriptions; its open WebSocket streams are closed. */
  async delete(caller: Principal, name: string): Promise<void> {
    const query = await this.owned(caller, name);
    await this.repository.deleteQuery(query.owner, query.name);
    for (const listener of this.deletionListeners) listener(query.id);
  }

  /** `GET /epcis/queries/{name}/events`: the query's events, with the caller's read scope, paged. */
  async run(caller: Principal, name: string, paging: { perPage?: string; nextPageToken?: string }): Promise<QueryPage> {
    const query = await this.owned(caller, name);
    return this.queries.query(caller, parseDefinition(query.parameters, paging));
  }

  /** `POST /epcis/queries/{name}/subscriptions` `{dest, signatureToken | secret, stream: true, initialRecordTime?}`. */
  async subscribe(caller: Principal, name: string, body: unknown): Promise<SubscriptionView> {
    const query = await this.owned(caller, name);
    const input = await this.checkSubscription(body);
    const cursor: FeedPosition = input.initialRecordTime ?? { time: await this.feed.currentHorizon(), eventId: '' };
    const created = await this.repository.createSubscription(
      {
        queryId: query.id,
        owner: query.owner,
        subscriber: subscriberOf(caller),
        dest: input.dest,
        sealedSecret: this.sealer.seal(input.secret),
        initialRecordTime: new Date(cursor.time),
        cursor,
      },
      this.config.maxSubscriptions,
      this.openStreams.get(query.owner) ?? 0,
    );
    if (created === 'too-many') throw tooManySubscriptions(this.config.maxSubscriptions);
    for (const listener of this.creationListeners) listener();
    return subscriptionView(created);
  }

  async subscriptions(caller: Principal, name: string): Promise<SubscriptionView[]> {
    const query = await this.owned(caller, name);
    return (await this.repository.listSubscriptions(query.id)).map(subscriptionView);
  }

  async subscription(caller: Principal, name: string, id: string): Promise<SubscriptionView> {
    const query = await this.owned(caller, name);
    const found = isUuid(id) ? await this.repository.findSubscription(query.id, id) : null;
    if (!found) throw new DomainError('NOT_FOUND', `query ${name} has no subscription ${id}`);
    return subscriptionView(found);
  }

  async unsubscribe(caller: Principal, name: string, id: string): Promise<void> {
    const query = await this.owned(caller, name);
    if (!isUuid(id) || !(await this.repository.deleteSubscription(query.id, id))) throw new DomainError('NOT_FOUND', `query ${name} has no subscription ${id}`);
  }

  /** A WebSocket subscription: the caller's query, its parsed filter, and a place in the count of subscriptions (release it on close). */
  async openStream(caller: Principal, name: string): Promise<{ query: NamedQueryRow; filter: EventQuery['filter']; release: () => void }> {
    const query = await this.owned(caller, name);
    const open = this.openStreams.get(query.owner) ?? 0;
    if ((await this.repository.countSubscriptions(query.owner)) + open >= this.config.maxSubscriptions) throw tooManySubscriptions(this.config.maxSubscriptions);
    this.openStreams.set(query.owner, open + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const now = (this.openStreams.get(query.owner) ?? 1) - 1;
      if (now <= 0) this.openStreams.delete(query.owner);
      else this.openStreams.set(query.owner, now);
    };
    return { query, filter: parseDefinition(query.parameters).filter, release };
  }

  queryExists(id: string): Promise<boolean> {
    return this.repository.queryExists(id);
  }

  /** Called with the id of every query deleted on this replica (streams close at once). */
  onQueryDeleted(listener: (queryId: string) => void): () => void {
    this.deletionListeners.add(listener);
    return () => this.deletionListeners.delete(listener);
  }

  /** Called after a webhook subscription was created on this replica (delivery claims it at once). */
  onSubscriptionCreated(listener: () => void): () => void {
    this.creationListeners.add(listener);
    return () => this.creationListeners.delete(listener);
  }

  unsealSecret(sealed: string): string | undefined {
    return this.sealer.unseal(sealed);
  }

  private async owned(caller: Principal, name: string): Promise<NamedQueryRow> {
    await this.access.visiblePrefixes(caller);
    const query = NAME_PATTERN.test(name) ? await this.repository.findQuery(ownerOf(caller), name) : null;
    // Another owner's query of that name is as absent as one that does not exist.
    if (!query) throw new DomainError('NOT_FOUND', `you have no query named ${JSON.stringify(name.slice(0, 128))}`);
    return query;
  }

  private async checkSubscription(body: unknown): Promise<{ dest: string; secret: string; initialRecordTime: FeedPosition | null }> {
    if (!isObject(body)) throw invalid('body', 'the body is a JSON object {dest, signatureToken, stream: true}');
    const allowed = ['dest', 'signatureToken', 'secret', 'stream', 'initialRecordTime', 'reportIfEmpty', 'schedule'];
    const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
    if (unknown.length > 0) throw invalid(unknown[0], `unknown field ${JSON.stringify(unknown[0])}; a subscription has ${allowed.join(', ')}`);
    if (body.schedule !== undefined) throw invalid('schedule', 'scheduled subscriptions are not supported by this node; subscribe with "stream": true');
    if (body.stream !== true) throw invalid('stream', 'set "stream": true (events are pushed as they are captured)');
    const secret = body.signatureToken ?? body.secret;
    if (body.signatureToken !== undefined && body.secret !== undefined) throw invalid('secret', 'give signatureToken or secret, not both');
    if (typeof secret !== 'string' || secret.length < SECRET_LENGTH.min || secret.length > SECRET_LENGTH.max) {
      throw invalid('signatureToken', `signatureToken (or secret) is a string of ${SECRET_LENGTH.min} to ${SECRET_LENGTH.max} characters; the node signs each delivery with it`);
    }
    if (body.reportIfEmpty !== undefined && typeof body.reportIfEmpty !== 'boolean') throw invalid('reportIfEmpty', 'reportIfEmpty is true or false');
    let initialRecordTime: FeedPosition | null = null;
    if (body.initialRecordTime !== undefined) {
      const key = typeof body.initialRecordTime === 'string' ? timeKeyOf(body.initialRecordTime) : null;
      if (key === null) throw invalid('initialRecordTime', 'initialRecordTime is an ISO 8601 date-time with a zone, e.g. 2025-01-15T09:00:00Z');
      initialRecordTime = { time: key, eventId: '' };
    }
    const url = await checkWebhookTarget(body.dest, this.config.allowPrivateTargets);
    return { dest: url.toString(), secret, initialRecordTime };
  }
}

/** Checks `{name, query}` of POST /epcis/queries with the SimpleEventQuery parser; returns the definition to store. */
export function checkDefinition(body: unknown): { name: string; parameters: QueryParameters } {
  if (!isObject(body)) throw invalid('body', 'the body is a JSON object {name, query}');
  const unknown = Object.keys(body).filter((key) => key !== 'name' && key !== 'query');
  if (unknown.length > 0) throw invalid(unknown[0], `unknown field ${JSON.stringify(unknown[0])}; a named query has name and query`);
  const { name, query } = body;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw invalid('name', 'name is 1 to 128 characters: letters, digits, ".", "_", "~", "-", starting with a letter or digit');
  }
  if (!isObject(query)) throw invalid('query', 'query is a JSON object of SimpleEventQuery parameters, e.g. {"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping"]}');
  const entries = Object.entries(query);
  if (entries.length > MAX_PARAMETERS) throw invalid('query', `a query has at most ${MAX_PARAMETERS} parameters`);
  if (JSON.stringify(query).length > MAX_DEFINITION_CHARS) throw invalid('query', `a query definition is at most ${MAX_DEFINITION_CHARS} characters of JSON`);
  const parameters: QueryParameters = {};
  for (const [key, value] of entries) {
    if (key === 'perPage' || key === 'nextPageToken') throw invalid(`query.${key}`, `${key} belongs to one request (GET /epcis/queries/{name}/events?${key}=…), not to the query`);
    if (typeof value === 'string') parameters[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) parameters[key] = String(value);
    else if (value === true && key.startsWith('EXISTS_')) parameters[key] = '';
    else if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) parameters[key] = value as string[];
    else throw invalid(`query.${key}`, `${key} takes a string, a number or a non-empty list of strings${key.startsWith('EXISTS_') ? ' (or true)' : ''}`);
  }
  // The same parser as GET /epcis/events: an unknown or malformed parameter is refused here, not when the query runs.
  parseEventQuery(queryValues(parameters), NAMED_QUERY_PARAMETERS);
  return { name, parameters };
}

function view(row: NamedQueryRow): NamedQueryView {
  return { name: row.name, query: row.parameters, createdAt: row.createdAt.toISOString() };
}

function subscriptionView(row: SubscriptionRow): SubscriptionView {
  return {
    subscriptionID: row.id,
    queryName: row.queryName,
    dest: row.dest,
    stream: true,
    initialRecordTime: row.initialRecordTime.toISOString(),
    createdAt: row.createdAt.toISOString(),
    minRecordTime: new Date(row.cursor.time).toISOString(),
    deliveredEvents: row.deliveredEvents,
    lastDeliveredAt: row.lastDeliveredAt?.toISOString() ?? null,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    lastError: row.lastError,
  };
}

function tooManySubscriptions(max: number): DomainError {
  return new DomainError('VALIDATION_FAILED', `you hold ${max} subscriptions already (EPCIS_SUBSCRIPTIONS_MAX, webhooks and open WebSockets together); delete one first`, [
    { path: 'subscription', message: 'too many subscriptions' },
  ]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, [{ path, message }]);
}

/** A stable id of one delivery (the same on every retry of the same first event), for receivers that deduplicate. */
export function deliveryId(subscriptionId: string, firstEventId: string): string {
  return createHash('sha256').update(`${subscriptionId}\u0000${firstEventId}`).digest('hex').slice(0, 32);
}

export { SCHEDULE_FIELDS };
