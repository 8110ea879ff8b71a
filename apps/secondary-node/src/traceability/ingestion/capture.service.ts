import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import { assertKeyMay, keyScopeProblem } from '../../auth/api-keys/api-key-scope';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { CaptureJobRepository } from '../store/capture-job.repository';
import type { CaptureJobEntity } from '../store/entities/capture-job.entity';
import { EventStore, isEventIdConflict } from '../store/event-store';
import { EVENT_ID_CONFLICT_MESSAGE, eventIdConflictProblems, isDataError } from './ingest-pipeline';
import { IngestionRuntime } from './ingestion-runtime';

export interface CaptureJobView {
  captureID: string;
  status: 'accepted' | 'succeeded' | 'failed';
  /** EPCIS REST fields (openapi.yaml CaptureJob). */
  running: boolean;
  success: boolean;
  captureErrorBehaviour: 'rollback';
  createdAt: string;
  finishedAt: string | null;
  enterprisePrefix: string;
  eventCount: number;
  stored: number;
  duplicates: number;
  errors: Array<{ path: string; message: string }>;
  /** Set when the capture failed because an eventID is another enterprise's (the controller answers 409). */
  errorCode?: 'EVENT_ID_CONFLICT';
}

/**
 * POST /epcis/capture: the HTTP alternative to MQTT, with the same validation and the same store.
 * The document is validated before anything is written (an invalid one is a 400 and changes
 * nothing) and stored in one transaction (all or nothing: GS1-Capture-Error-Behaviour rollback)
 * before the 202 is sent, so an accepted capture is never lost; GET /epcis/capture/{id} then
 * reports the finished job. The owning enterprise prefix is the caller's active prefix, or
 * `?prefix=` when the enterprise has several.
 */
@Injectable()
export class CaptureService {
  private readonly logger = new Logger('Capture');

  constructor(
    private readonly runtime: IngestionRuntime,
    private readonly store: EventStore,
    private readonly jobs: CaptureJobRepository,
  ) {}

  async capture(caller: Principal, requestedPrefix: string | undefined, body: unknown): Promise<CaptureJobView> {
    const prefixKey = await this.capturingPrefix(caller, requestedPrefix);
    assertKeyMay(caller, 'capture-events', prefixKey);
    if (typeof body !== 'object' || body === null || Array.isArray(body) || (body as { type?: unknown }).type !== 'EPCISDocument') {
      throw new DomainError('VALIDATION_FAILED', 'the body must be an EPCISDocument (JSON object with "type": "EPCISDocument")', [{ path: 'type', message: 'must be "EPCISDocument"' }]);
    }
    const verdict = this.runtime.validator.validatePayload(prefixKey, JSON.stringify(body));
    if (!verdict.ok) {
      const code = verdict.reason === 'payload_too_large' ? 'PAYLOAD_TOO_LARGE' : verdict.reason === 'foreign_commissioning' ? 'PREFIX_NOT_OWNED' : 'VALIDATION_FAILED';
      throw new DomainError(code, `the EPCIS document was rejected (${verdict.reason}): ${verdict.problems.length} problem(s)`, verdict.problems);
    }
    const id = randomUUID();
    const items = verdict.events.map((event) => ({ event, enterprisePrefix: prefixKey, source: 'capture' as const }));
    let job;
    try {
      const outcomes = await this.store.storeBatch(items, { action: 'epcis.capture', target: `capture:${id}` });
      const duplicates = outcomes.filter((o) => o === 'duplicate').length;
      job = { status: 'succeeded' as const, stored: outcomes.length - duplicates, duplicates, problems: null };
    } catch (error) {
      if (!isDataError(error)) throw error;
      // All or nothing: the job names the refused events, never the database's own text.
      const problems = isEventIdConflict(error)
        ? eventIdConflictProblems(items.map((i) => i.event.eventId), await this.store.foreignEventIds(prefixKey, items.map((i) => i.event.eventId)))
        : [{ path: '', message: 'the events could not be stored: the database refused them as data' }];
      this.logger.warn(`capture for ${prefixKey} refused by the database: ${(error as Error).message}`);
      job = { status: 'failed' as const, stored: 0, duplicates: 0, problems };
    }
    await this.jobs.insert({ id, enterprisePrefix: prefixKey, accountId: caller.accountId, eventCount: items.length, finished: true, ...job });
    return this.job(caller, id);
  }

  async job(caller: Principal, captureId: string): Promise<CaptureJobView> {
    const job = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(captureId) ? await this.jobs.find(captureId.toLowerCase()) : null;
    if (!job || !(await this.mayRead(caller, job))) throw new DomainError('NOT_FOUND', `no capture job ${captureId}`);
    return view(job);
  }

  private async mayRead(caller: Principal, job: CaptureJobEntity): Promise<boolean> {
    if (caller.role === 'operator') return true;
    if (caller.role !== 'enterprise' || !caller.enterpriseId) return false;
    if (keyScopeProblem(caller, 'capture-events', job.enterprisePrefix)) return false;
    return (await this.jobs.prefixKeysOfEnterprise(caller.enterpriseId)).includes(job.enterprisePrefix);
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

function view(job: CaptureJobEntity): CaptureJobView {
  const conflict = (job.problems ?? []).some((p) => p.message === EVENT_ID_CONFLICT_MESSAGE);
  return {
    ...(conflict ? { errorCode: 'EVENT_ID_CONFLICT' as const } : {}),
    captureID: job.id,
    status: job.status,
    running: job.status === 'accepted',
    success: job.status === 'succeeded',
    captureErrorBehaviour: 'rollback',
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
    enterprisePrefix: job.enterprisePrefix,
    eventCount: job.eventCount,
    stored: job.stored,
    duplicates: job.duplicates,
    errors: job.problems ?? [],
  };
}
