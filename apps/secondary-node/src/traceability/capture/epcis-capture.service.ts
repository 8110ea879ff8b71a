import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import type { EpcisProblem, NormalisedEvent } from '@idis/epcis';
import { assertKeyMay, keyScopeProblem } from '../../auth/api-keys/api-key-scope';
import { NODE_SECRET } from '../../auth/node-secret';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { EVENT_ID_CONFLICT_MESSAGE, isDataError } from '../ingestion/ingest-pipeline';
import { INGESTION_CONFIG, type IngestionConfig } from '../ingestion/ingestion-config';
import { IngestionRuntime } from '../ingestion/ingestion-runtime';
import type { Verdict } from '../ingestion/message-validator';
import { PageTokens } from '../query/page-token';
import { CaptureJobRepository } from '../store/capture-job.repository';
import type { CaptureErrorBehaviour, CaptureJobEntity, CaptureJobProblem } from '../store/entities/capture-job.entity';
import { EventStore, isEventIdConflict, type StoreItem, type StoreOutcome } from '../store/event-store';
import { documentWith, problemsByEvent, withOriginalIndex } from './capture-document';
import type { CaptureLimits } from './capture-http';

/** An RFC 7807 problem of a capture job (openapi CaptureJob.errors), with where it is and which event. */
export interface CaptureJobError {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** JSON path of the refused part of the document */
  path: string;
  /** the same text as detail (kept for clients of the node's earlier job shape) */
  message: string;
  eventID?: string;
}

/** The capture job resource (openapi.yaml CaptureJob) plus the node's counts. */
export interface CaptureJobView {
  captureID: string;
  createdAt: string;
  finishedAt: string | null;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: CaptureErrorBehaviour;
  errors: CaptureJobError[];
  /** accepted (running) | succeeded | failed */
  status: 'accepted' | 'succeeded' | 'failed';
  enterprisePrefix: string;
  eventCount: number;
  stored: number;
  duplicates: number;
  rejected: number;
  /** Set when an eventID is another enterprise's (the capture is answered 409 under rollback). */
  errorCode?: 'EVENT_ID_CONFLICT';
}

export interface CapturedEvent {
  eventId: string;
  /** the event as stored (eventID filled in when it was computed) */
  document: Record<string, unknown>;
  outcome: StoreOutcome;
}

const VALIDATION = { type: 'epcisException:ValidationException', title: 'Validation exception', status: 400 } as const;
const SECURITY = { type: 'epcisException:SecurityException', title: 'Security exception', status: 403 } as const;
const CONFLICT = { type: 'epcisException:ValidationException', title: 'Event ID not available', status: 409 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
/** Problems a capture job keeps (a document has at most INGEST_MAX_EVENTS_PER_DOCUMENT events, each with up to 50). */
const MAX_JOB_ERRORS = 1000;

/**
 * The capture side of the EPCIS 2.0 REST binding: POST /epcis/capture (a document, as a capture job)
 * and POST /epcis/events (one event). Both go through the MQTT path's MessageValidator (size, EPCIS
 * validation, commissioning only under the caller's own prefix) and EventStore (one transaction,
 * duplicates per owner, error declarations), so an event is stored identically whichever way it
 * arrived. A job is finished and recorded before the 202 is sent: a capture the client was told
 * about is never lost, and a restart has no half-done job to resume.
 */
@Injectable()
export class EpcisCaptureService {
  private readonly logger = new Logger('Capture');
  private readonly tokens: PageTokens;

  constructor(
    private readonly runtime: IngestionRuntime,
    private readonly store: EventStore,
    private readonly jobs: CaptureJobRepository,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    @Inject(NODE_SECRET) nodeSecret: string,
  ) {
    this.tokens = new PageTokens(nodeSecret);
  }

  /** GS1-EPCIS-Capture-Limit and GS1-EPCIS-Capture-File-Size-Limit: the MQTT path's document limits. */
  get limits(): CaptureLimits {
    return { maxEvents: this.config.maxEventsPerDocument, maxBytes: this.config.maxPayloadBytes };
  }

  /** POST /epcis/capture. `bytes` is the body's size as sent. */
  async captureDocument(caller: Principal, requestedPrefix: string | undefined, body: unknown, bytes: number, behaviour: CaptureErrorBehaviour): Promise<CaptureJobView> {
    const prefixKey = await this.capturingPrefix(caller, requestedPrefix);
    assertKeyMay(caller, 'capture-events', prefixKey);
    this.checkSize(bytes);
    const document = asEpcisDocument(body);
    const listLength = Array.isArray((document.epcisBody as { eventList?: unknown } | undefined)?.eventList) ? ((document.epcisBody as { eventList: unknown[] }).eventList.length) : 0;
    if (listLength > this.limits.maxEvents) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `the document has ${listLength} events; GS1-EPCIS-Capture-Limit is ${this.limits.maxEvents} per capture`, [
        { path: 'epcisBody.eventList', message: `at most ${this.limits.maxEvents} events` },
      ]);
    }

    const errors: CaptureJobError[] = [];
    const events = behaviour === 'rollback' ? this.validateAll(prefixKey, document) : this.validateEach(prefixKey, document, listLength, errors);

    const id = randomUUID();
    const items = events.map(({ event }) => ({ event, enterprisePrefix: prefixKey, source: 'capture' as const }));
    const stored = await this.storeJobEvents(prefixKey, id, items, events.map((e) => e.index), behaviour, errors);
    const rejected = behaviour === 'rollback' ? (errors.length > 0 ? listLength : 0) : listLength - events.length + stored.refused;
    const success = errors.length === 0;
    await this.jobs.insert({
      id,
      enterprisePrefix: prefixKey,
      accountId: caller.accountId,
      status: success ? 'succeeded' : 'failed',
      errorBehaviour: behaviour,
      eventCount: listLength,
      stored: stored.stored,
      duplicates: stored.duplicates,
      rejected,
      problems: errors.length > 0 ? this.bounded(errors) : null,
      finished: true,
    });
    return this.job(caller, id);
  }

  /** POST /epcis/events: one event, stored at once; outcome 'duplicate' when its eventID was captured before. */
  async captureEvent(caller: Principal, requestedPrefix: string | undefined, body: unknown, bytes: number): Promise<CapturedEvent> {
    const prefixKey = await this.capturingPrefix(caller, requestedPrefix);
    assertKeyMay(caller, 'capture-events', prefixKey);
    this.checkSize(bytes);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DomainError('VALIDATION_FAILED', 'the body must be one EPCIS event (a JSON object)', [{ path: '$', message: 'must be an object' }]);
    }
    const type = (body as { type?: unknown }).type;
    if (type === 'EPCISDocument' || type === 'EPCISQueryDocument') {
      throw new DomainError('VALIDATION_FAILED', `POST /epcis/events takes one event; send an ${type} to POST /epcis/capture`, [{ path: '$.type', message: 'must be an event type' }]);
    }
    const verdict = this.runtime.validator.validatePayload(prefixKey, JSON.stringify(body));
    if (!verdict.ok) throw rejection(verdict);
    const [event] = verdict.events;
    if ((await this.store.foreignEventIds(prefixKey, [event.eventId])).size > 0) {
      throw new DomainError('CONFLICT', EVENT_ID_CONFLICT_MESSAGE, [{ path: '$.eventID', message: EVENT_ID_CONFLICT_MESSAGE }]);
    }
    let outcome: StoreOutcome;
    try {
      [outcome] = await this.store.storeBatch([{ event, enterprisePrefix: prefixKey, source: 'capture' }], { action: 'epcis.capture', target: `event:${event.eventId}` });
    } catch (error) {
      if (isEventIdConflict(error)) throw new DomainError('CONFLICT', EVENT_ID_CONFLICT_MESSAGE, [{ path: '$.eventID', message: EVENT_ID_CONFLICT_MESSAGE }]);
      if (isDataError(error)) {
        this.logger.warn(`event capture for ${prefixKey} refused by the database: ${(error as Error).message}`);
        throw new DomainError('VALIDATION_FAILED', 'the event could not be stored: the database refused it as data');
      }
      throw error;
    }
    // outcome 'duplicate': captured before (the controller answers 409 with the event's Location).
    return { eventId: event.eventId, document: event.document, outcome };
  }

  async job(caller: Principal, captureId: string): Promise<CaptureJobView> {
    const job = UUID.test(captureId) ? await this.jobs.find(captureId.toLowerCase()) : null;
    if (!job || !(await this.mayRead(caller, job))) throw new DomainError('NOT_FOUND', `no capture job ${captureId}`);
    return view(job);
  }

  /** GET /epcis/capture: the caller's jobs (an operator's: all), newest first, a page at a time. */
  async list(caller: Principal, perPage: number | undefined, token: string | undefined): Promise<{ jobs: CaptureJobView[]; perPage: number; next?: { token: string; expiresAt: Date } }> {
    const size = perPage ?? DEFAULT_PER_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PER_PAGE) {
      throw new DomainError('VALIDATION_FAILED', `perPage must be an integer from 1 to ${MAX_PER_PAGE}`, [{ path: 'perPage', message: `1..${MAX_PER_PAGE}` }]);
    }
    const digest = `capture-jobs:${caller.accountId}`;
    const after = token === undefined ? undefined : this.tokens.read(token, digest);
    const prefixes = await this.readablePrefixes(caller);
    if (prefixes !== null && prefixes.length === 0) return { jobs: [], perPage: size };
    const page = await this.jobs.list(prefixes, after ? { createdAt: after.eventTime, id: after.eventId } : undefined, size + 1);
    const shown = page.slice(0, size);
    const last = shown[shown.length - 1];
    const next = page.length > size && last ? this.tokens.issue(digest, { eventTime: last.position.createdAt, eventId: last.position.id }) : undefined;
    return { jobs: shown.map(({ job }) => view(job)), perPage: size, ...(next ? { next } : {}) };
  }

  private checkSize(bytes: number): void {
    if (bytes > this.limits.maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `the body is ${bytes} bytes; GS1-EPCIS-Capture-File-Size-Limit is ${this.limits.maxBytes}`, [
        { path: '$', message: `at most ${this.limits.maxBytes} bytes` },
      ]);
    }
  }

  /** rollback: the whole document is valid or the capture is refused (400/403), nothing stored. */
  private validateAll(prefixKey: string, document: Record<string, unknown>): Array<{ event: NormalisedEvent; index: number }> {
    const verdict = this.runtime.validator.validatePayload(prefixKey, JSON.stringify(document));
    if (!verdict.ok) throw rejection(verdict);
    return verdict.events.map((event, index) => ({ event, index }));
  }

  /**
   * proceed: the events that are valid, each problem of the others recorded in `errors`. The good
   * events are then validated together as one document (as over MQTT, so each is normalised exactly
   * as there); should that still name an event, it is set aside and the rest validated again.
   * Problems of the document itself (not of one event) still refuse it (400).
   */
  private validateEach(prefixKey: string, document: Record<string, unknown>, listLength: number, errors: CaptureJobError[]): Array<{ event: NormalisedEvent; index: number }> {
    const list = (document.epcisBody as { eventList: unknown[] }).eventList;
    // First each event alone in the document's envelope: every bad event is found in one pass
    // (a whole-document parse stops listing at maxProblems), at the cost of about one parse.
    let kept: number[] = [];
    for (let index = 0; index < listLength; index += 1) {
      const verdict = this.runtime.validator.validatePayload(prefixKey, JSON.stringify(documentWith(document, [index])));
      if (verdict.ok) {
        kept.push(index);
        continue;
      }
      const grouped = problemsByEvent(verdict.problems);
      if (grouped.document.length > 0 || grouped.events.size === 0) throw rejection({ ...verdict, problems: grouped.document.length > 0 ? grouped.document : verdict.problems });
      const kind = verdict.reason === 'foreign_commissioning' ? SECURITY : VALIDATION;
      for (const problem of grouped.events.get(0) ?? []) errors.push(jobError(kind, withOriginalIndex(problem.path, index), problem.message, eventIdOf(list[index])));
    }
    // Each round sets at least one event aside, so this ends within listLength + 1 rounds.
    for (let round = 0; round <= listLength; round += 1) {
      const verdict = this.runtime.validator.validatePayload(prefixKey, JSON.stringify(documentWith(document, kept)));
      if (verdict.ok) return verdict.events.map((event, position) => ({ event, index: kept[position] }));
      const grouped = problemsByEvent(verdict.problems);
      if (grouped.document.length > 0 || grouped.events.size === 0) throw rejection({ ...verdict, problems: grouped.document.length > 0 ? grouped.document : verdict.problems });
      const security = verdict.reason === 'foreign_commissioning';
      for (const [position, problems] of grouped.events) {
        const index = kept[position];
        const eventId = eventIdOf(list[index]);
        for (const problem of problems) errors.push(jobError(security ? SECURITY : VALIDATION, withOriginalIndex(problem.path, index), problem.message, eventId));
      }
      kept = kept.filter((_, position) => !grouped.events.has(position));
    }
    return [];
  }

  /** A job lists at most MAX_JOB_ERRORS problems; the last entry then says how many more there were. */
  private bounded(errors: CaptureJobError[]): CaptureJobError[] {
    if (errors.length <= MAX_JOB_ERRORS) return errors;
    const more = errors.length - (MAX_JOB_ERRORS - 1);
    return [...errors.slice(0, MAX_JOB_ERRORS - 1), jobError(VALIDATION, 'epcisBody.eventList', `… and ${more} more problems`)];
  }

  /**
   * Stores the events of a job. Another enterprise's eventID: under rollback the job fails and
   * nothing is stored; under proceed those events are refused and the others stored.
   */
  private async storeJobEvents(
    prefixKey: string,
    id: string,
    items: StoreItem[],
    indexes: number[],
    behaviour: CaptureErrorBehaviour,
    errors: CaptureJobError[],
  ): Promise<{ stored: number; duplicates: number; refused: number }> {
    let candidates = items.map((item, k) => ({ item, index: indexes[k] }));
    let refused = 0;
    if (behaviour === 'rollback' && errors.length > 0) return { stored: 0, duplicates: 0, refused: 0 };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const foreign = candidates.length > 0 ? await this.store.foreignEventIds(prefixKey, candidates.map((c) => c.item.event.eventId)) : new Set<string>();
      if (foreign.size > 0) {
        for (const c of candidates) {
          if (foreign.has(c.item.event.eventId)) errors.push(jobError(CONFLICT, `epcisBody.eventList[${c.index}].eventID`, EVENT_ID_CONFLICT_MESSAGE, c.item.event.eventId));
        }
        if (behaviour === 'rollback') return { stored: 0, duplicates: 0, refused: 0 };
        refused += candidates.filter((c) => foreign.has(c.item.event.eventId)).length;
        candidates = candidates.filter((c) => !foreign.has(c.item.event.eventId));
      }
      try {
        const outcomes = await this.store.storeBatch(candidates.map((c) => c.item), { action: 'epcis.capture', target: `capture:${id}` });
        const duplicates = outcomes.filter((o) => o === 'duplicate').length;
        return { stored: outcomes.length - duplicates, duplicates, refused };
      } catch (error) {
        // Another enterprise took an eventID between the look-up and the insert: look again.
        if (isEventIdConflict(error)) continue;
        if (!isDataError(error)) throw error;
        this.logger.warn(`capture ${id} for ${prefixKey} refused by the database: ${(error as Error).message}`);
        errors.push(jobError(VALIDATION, 'epcisBody.eventList', 'the events could not be stored: the database refused them as data'));
        return { stored: 0, duplicates: 0, refused: refused + candidates.length };
      }
    }
    errors.push(jobError(CONFLICT, 'epcisBody.eventList', EVENT_ID_CONFLICT_MESSAGE));
    return { stored: 0, duplicates: 0, refused: refused + candidates.length };
  }

  private async mayRead(caller: Principal, job: CaptureJobEntity): Promise<boolean> {
    if (caller.role === 'operator') return true;
    if (caller.role !== 'enterprise' || !caller.enterpriseId) return false;
    if (keyScopeProblem(caller, 'capture-events', job.enterprisePrefix)) return false;
    return (await this.jobs.prefixKeysOfEnterprise(caller.enterpriseId)).includes(job.enterprisePrefix);
  }

  /** Whose jobs the caller lists: null for an operator (all), else its enterprise's prefixes within its key's scope. */
  private async readablePrefixes(caller: Principal): Promise<string[] | null> {
    if (caller.role === 'operator') return null;
    if (caller.role !== 'enterprise' || !caller.enterpriseId) return [];
    const prefixes = await this.jobs.prefixKeysOfEnterprise(caller.enterpriseId);
    return prefixes.filter((prefix) => !keyScopeProblem(caller, 'capture-events', prefix));
  }

  private async capturingPrefix(caller: Principal, requested: string | undefined): Promise<string> {
    if (caller.role !== 'enterprise' || !caller.enterpriseId) throw new DomainError('FORBIDDEN', 'only an enterprise account captures events (they are stored under its prefix)');
    const active = await this.jobs.activePrefixKeysOfEnterprise(caller.enterpriseId);
    if (requested !== undefined) {
      let key: string;
      try {
        key = parsePrefix(requested).prefixKey;
      } catch (error) {
        throw new DomainError('VALIDATION_FAILED', `prefix: ${(error as Error).message}`, [{ path: 'prefix', message: (error as Error).message }]);
      }
      if (!active.includes(key)) throw new DomainError('PREFIX_NOT_OWNED', `prefix ${requested} is not an active prefix of your enterprise`);
      return key;
    }
    if (active.length === 0) throw new DomainError('PREFIX_NOT_OWNED', 'your enterprise has no active prefix');
    if (active.length > 1) {
      throw new DomainError('VALIDATION_FAILED', `your enterprise has several active prefixes: give ?prefix= (one of ${active.join(', ')})`, [{ path: 'prefix', message: 'required' }]);
    }
    return active[0];
  }
}

/**
 * The body as an EPCISDocument: an EPCISDocument as sent, or the events of an EPCISQueryDocument
 * (the binding accepts both) in a document with the same context. Anything else is a 400.
 */
function asEpcisDocument(body: unknown): Record<string, unknown> {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const doc = body as Record<string, unknown>;
    if (doc.type === 'EPCISDocument') return doc;
    if (doc.type === 'EPCISQueryDocument') {
      const results = (doc.epcisBody as { queryResults?: { resultsBody?: { eventList?: unknown } } } | undefined)?.queryResults?.resultsBody;
      if (!results || !Array.isArray(results.eventList)) {
        throw new DomainError('VALIDATION_FAILED', 'an EPCISQueryDocument carries its events in epcisBody.queryResults.resultsBody.eventList', [
          { path: '$.epcisBody.queryResults.resultsBody.eventList', message: 'required: a list of events' },
        ]);
      }
      return {
        '@context': doc['@context'],
        type: 'EPCISDocument',
        schemaVersion: doc.schemaVersion ?? '2.0',
        creationDate: doc.creationDate ?? new Date().toISOString(),
        epcisBody: { eventList: results.eventList },
      };
    }
  }
  throw new DomainError('VALIDATION_FAILED', 'the body must be an EPCISDocument or an EPCISQueryDocument (JSON object with "type": "EPCISDocument"); send one event to POST /epcis/events', [
    { path: 'type', message: 'must be "EPCISDocument"' },
  ]);
}

/** The refusal of a whole capture: 403 for commissioning under another prefix, 413 over the size limit, otherwise 400. */
function rejection(verdict: Extract<Verdict, { ok: false }>): DomainError {
  const code = verdict.reason === 'payload_too_large' ? 'PAYLOAD_TOO_LARGE' : verdict.reason === 'foreign_commissioning' ? 'PREFIX_NOT_OWNED' : 'VALIDATION_FAILED';
  return new DomainError(code, `the EPCIS ${verdict.problems.length === 1 ? 'capture' : 'document'} was rejected (${verdict.reason}): ${verdict.problems.length} problem(s)`, verdict.problems);
}

function jobError(kind: { type: string; title: string; status: number }, path: string, message: string, eventId?: string): CaptureJobError {
  return { ...kind, detail: message, path, message, ...(eventId ? { eventID: eventId } : {}) };
}

function eventIdOf(raw: unknown): string | undefined {
  const id = (raw as { eventID?: unknown } | null)?.eventID;
  return typeof id === 'string' ? id : undefined;
}

/** A stored problem as the job resource lists it (jobs from before the typed errors get their type here). */
function errorOf(problem: CaptureJobProblem | EpcisProblem): CaptureJobError {
  const p = problem as CaptureJobProblem;
  const kind = p.type && p.title && p.status ? { type: p.type, title: p.title, status: p.status } : p.message === EVENT_ID_CONFLICT_MESSAGE ? CONFLICT : VALIDATION;
  return jobError(kind, p.path, p.message, p.eventID);
}

function view(job: CaptureJobEntity): CaptureJobView {
  const errors = (job.problems ?? []).map(errorOf);
  const conflict = errors.some((e) => e.message === EVENT_ID_CONFLICT_MESSAGE);
  return {
    captureID: job.id,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
    running: job.status === 'accepted',
    success: job.status === 'succeeded',
    captureErrorBehaviour: job.errorBehaviour,
    errors,
    status: job.status,
    enterprisePrefix: job.enterprisePrefix,
    eventCount: job.eventCount,
    stored: job.stored,
    duplicates: job.duplicates,
    rejected: job.rejected,
    ...(conflict ? { errorCode: 'EVENT_ID_CONFLICT' as const } : {}),
  };
}
