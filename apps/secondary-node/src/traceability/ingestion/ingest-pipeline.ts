import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { backoffCeilingMs } from '@idis/runtime';
import { type BatchAudit, type BatchResult, isEventIdConflict, type RejectRecord, type StoreItem } from '../store/event-store';
import { withDocumentAsText } from '../store/text-document-event';
import type { MessageValidator, RejectReason, Verdict } from './message-validator';

/** What the pipeline needs from the store: one transaction for events and rejects. */
export interface BatchCommitter {
  commitBatch(items: StoreItem[], rejects: RejectRecord[], audit?: BatchAudit): Promise<BatchResult>;
  /** Which of these eventIDs another enterprise already uses (to name the events of a conflict). */
  foreignEventIds?(prefixKey: string, eventIds: string[]): Promise<Set<string>>;
}

/** Why a message's events could not be stored, as its reject says it (never the database's own text). */
interface StorageProblem {
  reason: RejectReason;
  problems: Array<{ path: string; message: string }>;
}

/** The problem of each event of a document whose eventID another enterprise uses; names nothing of that enterprise. */
export function eventIdConflictProblems(eventIds: string[], foreign: Set<string>): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  eventIds.forEach((eventId, index) => {
    if (foreign.has(eventId)) problems.push({ path: `epcisBody.eventList[${index}].eventID`, message: EVENT_ID_CONFLICT_MESSAGE });
  });
  return problems.length > 0 ? problems : [{ path: 'epcisBody.eventList', message: EVENT_ID_CONFLICT_MESSAGE }];
}

export const EVENT_ID_CONFLICT_MESSAGE = 'this eventID cannot be used by your enterprise (event_id_conflict): give the event another eventID';

/** Where rejects are announced: `{root}/{prefix}/rejects`. Fire and forget (they are in the database already). */
export type RejectAnnouncer = (prefixSegment: string, body: { reason: RejectReason; problems: Array<{ path: string; message: string }>; receivedAt: string; eventIds?: string[] }) => void;

export interface PipelineOptions {
  batchMaxEvents: number;
  batchMaxWaitMs: number;
  /** Batches committing at once (1: one after the other). A batch with an error declaration always commits alone. */
  commitConcurrency?: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
}

interface Pending {
  message: IncomingMessage;
  receivedAt: Date;
  verdict: Verdict;
  /** Set when storing the message's events failed on its own: it is kept as a reject instead. */
  storageProblem?: StorageProblem;
  resolve: () => void;
}

/** Counters since this process started (the status endpoint and /metrics read them). */
export class IngestionStats {
  receivedSinceStart = 0;
  acknowledgedSinceStart = 0;
  storedSinceStart = 0;
  duplicatesSinceStart = 0;
  errorDeclarationsSinceStart = 0;
  rejectedSinceStart = 0;
  readonly rejectsByReason = new Map<RejectReason, number>();
  batchesCommitted = 0;
  /** Batch attempts PostgreSQL refused for a reason other than the data (outage, lock timeout…). */
  commitRetries = 0;
  /** Messages whose events could not be stored on their own (isolated from their batch and rejected). */
  isolatedPoisonMessages = 0;
  inFlight = 0;
  lastCommitAt: Date | null = null;
  lastCommitError: { at: Date; message: string } | null = null;
  /** Seconds per committed batch: sum and count, for the /metrics summary. */
  commitSecondsSum = 0;
}

/**
 * The batcher between the MQTT connections and PostgreSQL. `submit` resolves only after the
 * message's batch has committed: the transport sends the PUBACK then, so a crash at any point
 * before leaves the message with the broker, which redelivers it (and a redelivered copy is a
 * duplicate, stored once). A batch flushes when it holds batchMaxEvents events, when every
 * connection is waiting on it (nothing more can arrive), or batchMaxWaitMs after its first
 * message. One batch commits at a time; messages arriving meanwhile form the next one.
 *
 * Failures: a data error (SQLSTATE class 22/23/54, e.g. a value PostgreSQL refuses) splits the
 * batch in halves until the offending message is alone, which is then stored as a reject; any other
 * error (database down, connection lost) is retried with backoff, acknowledging nothing meanwhile.
 */
export class IngestPipeline {
  private readonly logger = new Logger('Ingestion');
  private current: Pending[] = [];
  private currentEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The commits running now. */
  private readonly running = new Set<Promise<void>>();
  /** A batch with an error declaration is committing: nothing else starts until it is done. */
  private exclusive = false;
  private closed = false;
  private announcer: RejectAnnouncer | undefined;
  /** How many messages can be waiting at once (the MQTT connections): when all are, flush. */
  private maxWaiting = 1;
  private readonly queue: Pending[][] = [];

  constructor(
    private readonly validator: MessageValidator,
    private readonly store: BatchCommitter,
    private readonly options: PipelineOptions,
    readonly stats: IngestionStats = new IngestionStats(),
  ) {}

  attach(announcer: RejectAnnouncer, concurrentMessages: number): void {
    this.announcer = announcer;
    this.maxWaiting = Math.max(1, concurrentMessages);
  }

  /**
   * Resolves once the message is committed (stored, duplicate or rejected); never rejects. Never
   * resolves after close(). One promise per message, resolved by the commit itself: thousands wait
   * at once, and every layer of async machinery around each is more for the collector to copy.
   */
  submit(message: IncomingMessage): Promise<void> {
    if (this.closed) return new Promise<void>(() => undefined);
    return new Promise<void>((resolve, reject) => this.receive(message, resolve, reject));
  }

  private receive(message: IncomingMessage, resolve: () => void, reject: (error: unknown) => void): void {
    this.stats.receivedSinceStart += 1;
    this.stats.inFlight += 1;
    const receivedAt = new Date();
    let validation: Promise<Verdict>;
    try {
      validation = this.validator.validate(message.topic, message.payload);
    } catch (error) {
      validation = Promise.reject(error);
    }
    validation.then(
      (verdict) => {
        try {
          this.enqueue(message, receivedAt, verdict, resolve);
        } catch (error) {
          // Not taken into a batch: the transport leaves it unacknowledged (and says why).
          reject(error);
        }
      },
      (error: unknown) => {
        // The validator itself failed (the prefix directory could not be read): keep the message
        // unacknowledged and try again shortly, like a refused commit.
        this.logger.warn(`validation failed, retrying: ${(error as Error).message}`);
        setTimeout(() => {
          this.stats.receivedSinceStart -= 1;
          this.stats.inFlight -= 1;
          if (!this.closed) this.receive(message, resolve, reject);
        }, this.options.retryBaseMs);
      },
    );
  }

  private enqueue(message: IncomingMessage, receivedAt: Date, verdict: Verdict, resolve: () => void): void {
    // The events wait for their batch with their documents as text: one string each, not a tree
    // (the store and subscriptions use the text).
    const waiting = verdict.ok ? { ...verdict, events: verdict.events.map(withDocumentAsText) } : verdict;
    this.current.push({ message, receivedAt, verdict: waiting, resolve });
    this.currentEvents += waiting.ok ? waiting.events.length : 0;
    this.scheduleFlush();
  }

  /** Stops flushing: whatever is not committed stays unacknowledged (the broker keeps it). Waits for a running commit. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running.size > 0) await Promise.race([Promise.allSettled([...this.running]), delay(timeoutMs)]);
  }

  /**
   * A full batch is cut at once (and queued behind a running commit). Otherwise, while a commit
   * runs, messages keep gathering and are cut as soon as it finishes (the batch grows with the
   * commit latency); when idle, a batch waits at most batchMaxWaitMs for company.
   */
  private scheduleFlush(): void {
    if (this.current.length === 0 || this.closed) return;
    const full = this.currentEvents >= this.options.batchMaxEvents || this.current.length >= this.maxWaiting;
    if (full) {
      this.cut();
    } else if (this.running.size > 0) {
      return;
    } else if (this.options.batchMaxWaitMs === 0) {
      this.cut();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.cut();
      }, this.options.batchMaxWaitMs);
    }
  }

  /** Closes the current batch and starts committing it (or queues it behind the running commits). */
  private cut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.current.length === 0) return;
    this.queue.push(this.current);
    this.current = [];
    this.currentEvents = 0;
    this.startCommits();
  }

  /**
   * Starts queued batches while fewer than commitConcurrency commit. Batches of plain events
   * commit side by side (a redelivered copy is a duplicate whichever commits first; another
   * enterprise's eventID fails whichever comes second). A batch holding an error declaration waits
   * until every earlier batch has committed and commits alone, so that it sees the events sent
   * before it, as with one commit at a time.
   */
  private startCommits(): void {
    const limit = Math.max(1, this.options.commitConcurrency ?? 1);
    while (!this.closed && !this.exclusive && this.running.size < limit) {
      if (this.queue.length === 0) {
        // What gathered during the last commit goes next, without waiting for the timer.
        if (this.current.length === 0) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.queue.push(this.current);
        this.current = [];
        this.currentEvents = 0;
      }
      const declares = hasErrorDeclaration(this.queue[0]);
      if (declares && this.running.size > 0) return;
      const batch = this.queue.shift() as Pending[];
      this.exclusive = declares;
      const commit: Promise<void> = this.commitWithIsolation(batch).finally(() => {
        this.running.delete(commit);
        if (declares) this.exclusive = false;
        this.startCommits();
      });
      this.running.add(commit);
    }
  }

  /** Commits the batch; on a data error isolates the offending message by halving. */
  private async commitWithIsolation(batch: Pending[]): Promise<void> {
    for (let attempt = 0; !this.closed; attempt += 1) {
      try {
        const started = process.hrtime.bigint();
        const { items, rejects, owners } = this.toRows(batch);
        // A batch has no HTTP request: its own id stands in for one, in the audit row and the log line.
        // Passed along, not set as a request context: an open context turns on AsyncLocalStorage's
        // hook on every promise of the process, and commits run back to back under load.
        const batchId = randomUUID();
        const result = await this.store.commitBatch(items, rejects, { action: 'epcis.ingest', target: `mqtt-batch:${batchId}`, requestId: batchId });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.stats.commitSecondsSum += seconds;
        this.logger.log({ msg: 'ingestion batch committed', batchId, messages: batch.length, ...result.counts, durationMs: Math.round(seconds * 10_000) / 10 });
        this.committed(batch, result, owners);
        return;
      } catch (error) {
        if (this.closed) return;
        if (isDataError(error)) {
          if (batch.length > 1) {
            const half = Math.ceil(batch.length / 2);
            await this.commitWithIsolation(batch.slice(0, half));
            await this.commitWithIsolation(batch.slice(half));
            return;
          }
          const [only] = batch;
          if (only.storageProblem === undefined) {
            this.stats.isolatedPoisonMessages += 1;
            only.storageProblem = await this.storageProblemOf(only, error);
            this.logger.warn(`message on ${only.message.topic} could not be stored and is rejected (${only.storageProblem.reason}): ${(error as Error).message}`);
            continue;
          }
          // Even the reject row is refused: give the message up rather than block the consumer.
          this.logger.error(`message on ${only.message.topic} could not even be recorded as a reject, dropped: ${(error as Error).message}`);
          this.finish(only);
          return;
        }
        this.stats.commitRetries += 1;
        this.stats.lastCommitError = { at: new Date(), message: (error as Error).message };
        const wait = backoffCeilingMs(attempt + 1, this.options.retryBaseMs, this.options.retryMaxMs);
        if (attempt === 0 || attempt % 10 === 0) this.logger.warn(`batch of ${batch.length} messages not committed (${(error as Error).message}); retrying in ${wait} ms, nothing acknowledged`);
        await delay(wait);
      }
    }
  }

  /**
   * The reject of a message the database refused on its own: another enterprise's eventID is a
   * conflict named per event; anything else a storage error. The database's message stays in the
   * log: it can quote the data and the schema.
   */
  private async storageProblemOf(pending: Pending, error: unknown): Promise<StorageProblem> {
    const { verdict } = pending;
    if (verdict.ok && isEventIdConflict(error)) {
      const eventIds = verdict.events.map((e) => e.eventId);
      let foreign = new Set<string>();
      try {
        foreign = (await this.store.foreignEventIds?.(verdict.prefixKey, eventIds)) ?? foreign;
      } catch (lookupError) {
        this.logger.warn(`conflicting eventIDs not looked up: ${(lookupError as Error).message}`);
      }
      return { reason: 'event_id_conflict', problems: eventIdConflictProblems(eventIds, foreign) };
    }
    return { reason: 'storage_error', problems: [{ path: '', message: 'the events could not be stored: the database refused them as data' }] };
  }

  private toRows(batch: Pending[]): { items: StoreItem[]; rejects: RejectRecord[]; owners: number[] } {
    const items: StoreItem[] = [];
    const rejects: RejectRecord[] = [];
    const owners: number[] = [];
    batch.forEach((pending, index) => {
      const reject = this.rejectOf(pending);
      if (reject) {
        rejects.push(reject);
        return;
      }
      if (!pending.verdict.ok) return;
      for (const event of pending.verdict.events) {
        items.push({ event, enterprisePrefix: pending.verdict.prefixKey, source: 'mqtt' });
        owners.push(index);
      }
    });
    return { items, rejects, owners };
  }

  private rejectOf(pending: Pending): RejectRecord | null {
    const { verdict } = pending;
    if (verdict.ok && pending.storageProblem === undefined) return null;
    const reason: RejectReason = verdict.ok ? (pending.storageProblem as StorageProblem).reason : verdict.reason;
    const problems = verdict.ok ? (pending.storageProblem as StorageProblem).problems : verdict.problems;
    return {
      enterprisePrefix: verdict.prefixKey,
      source: 'mqtt',
      topic: pending.message.topic,
      reason,
      problems,
      payload: pending.message.payload.toString('utf8'),
      receivedAt: pending.receivedAt,
    };
  }

  private committed(batch: Pending[], result: BatchResult, _owners: number[]): void {
    const stats = this.stats;
    stats.batchesCommitted += 1;
    stats.lastCommitAt = new Date();
    stats.storedSinceStart += result.counts.stored;
    stats.duplicatesSinceStart += result.counts.duplicates;
    stats.errorDeclarationsSinceStart += result.counts.errorDeclarations;
    stats.rejectedSinceStart += result.counts.rejected;
    for (const pending of batch) {
      const reject = this.rejectOf(pending);
      if (reject) {
        const reason = reject.reason as RejectReason;
        stats.rejectsByReason.set(reason, (stats.rejectsByReason.get(reason) ?? 0) + 1);
        this.announce(pending, reason, reject.problems);
      }
      this.finish(pending);
    }
  }

  private finish(pending: Pending): void {
    this.stats.inFlight -= 1;
    pending.resolve();
  }

  private announce(pending: Pending, reason: RejectReason, problems: Array<{ path: string; message: string }>): void {
    const segment = this.validatorSegment(pending.message.topic);
    if (!this.announcer || segment === null) return;
    const eventIds = pending.verdict.ok ? pending.verdict.events.map((e) => e.eventId) : pending.verdict.eventIds;
    try {
      this.announcer(segment, { reason, problems, receivedAt: pending.receivedAt.toISOString(), ...(eventIds ? { eventIds } : {}) });
    } catch (error) {
      this.logger.warn(`reject not announced: ${(error as Error).message}`);
    }
  }

  private validatorSegment(topic: string): string | null {
    const segment = this.validator.topicPrefix(topic);
    // Only a segment that is a valid single topic level can be published to.
    return segment !== null && !/[+#\u0000]/.test(segment) ? segment : null;
  }
}

function hasErrorDeclaration(batch: Pending[]): boolean {
  return batch.some((pending) => pending.verdict.ok && pending.verdict.events.some((event) => event.errorDeclaration !== undefined && event.errorDeclaration !== null));
}

/** SQLSTATE classes caused by the data itself: retrying the same rows cannot succeed. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
