import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { TopLevelError, invalid } from '../errors/top-level-errors';
import { automaticRejectionReason } from './enterprise';
import type { FilingTransactionEntity, ReviewOutcome } from './filing-transaction.entity';
import { FilingRepository, type FilingStore } from './filing.repository';

export interface ReviewDecision {
  approve: boolean;
  reason: string;
}

/** At most this many reviews per sweep, so one sweep never runs unbounded. */
const SWEEP_BATCH = 500;

/**
 * Reviews filing transactions. FILING_REVIEW=auto: a sweep decides every undecided transaction
 * whose FILING_REVIEW_DELAY_MS has elapsed, read from PostgreSQL (so pending filings are reviewed
 * after a restart too); a timer after each submission only makes it prompt. Obviously bad input is
 * rejected with a reason, the rest approved. FILING_REVIEW=manual: only an operator decides (HTTP).
 * Every decision queues a review message for the filing node.
 */
@Injectable()
export class FilingReviewService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FilingReview');
  private interval: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly filings: FilingRepository,
    @Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.filingReview !== 'auto') return;
    this.interval = setInterval(() => void this.sweep(), this.config.reviewSweepIntervalMs);
    this.interval.unref();
    void this.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.running?.catch(() => undefined);
  }

  /** After a submission: sweep once its delay has elapsed (auto mode only). */
  reviewAfter(delayMs: number): void {
    if (this.config.filingReview !== 'auto' || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.sweep();
    }, delayMs + 5);
    timer.unref();
    this.timers.add(timer);
  }

  /** Decides every due transaction; concurrent calls coalesce into one run plus one follow-up. */
  sweep(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.sweepOnce()
      .catch((error: unknown) => {
        if (!this.stopped) this.logger.error(`review sweep failed: ${(error as Error)?.message ?? String(error)}`);
        return 0;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.sweep();
        }
      });
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    let decided = 0;
    while (decided < SWEEP_BATCH && !this.stopped) {
      const done = await this.filings.inTransaction(undefined, async (store) => {
        const transaction = await store.claimDue(new Date());
        if (!transaction) return false;
        await decide(store, transaction, automaticDecision(transaction));
        return true;
      });
      if (!done) break;
      decided += 1;
    }
    return decided;
  }

  /** An operator's decision on the operation under review for a prefix. */
  async decideManually(rawPrefix: string, decision: ReviewDecision): Promise<FilingTransactionEntity> {
    let prefixKey: string;
    try {
      prefixKey = parsePrefix(rawPrefix).prefixKey;
    } catch (error) {
      throw invalid(`${JSON.stringify(rawPrefix.slice(0, 80))} is not a prefix: ${(error as Error).message}`);
    }
    if (!decision.approve && decision.reason.trim().length === 0) throw invalid('a rejection needs a reason');
    if (decision.reason.length > 500) throw invalid('reason is longer than 500 characters');
    const decided = await this.filings.inTransaction(prefixKey, async (store) => {
      const transaction = await store.claimPendingOf(prefixKey);
      if (!transaction) return undefined;
      await decide(store, transaction, decision);
      return transaction.serverTransactionId;
    });
    if (!decided) {
      const filing = await this.filings.findFiling(prefixKey);
      if (!filing) throw new TopLevelError('NOT_FOUND', `no filing for prefix ${rawPrefix}`);
      throw new TopLevelError('ILLEGAL_STATE', `prefix ${rawPrefix} has no operation pending review (status ${filing.status})`);
    }
    return (await this.filings.findTransactionById(decided))!;
  }
}

function automaticDecision(transaction: FilingTransactionEntity): ReviewDecision {
  if (transaction.operation === 'delete') return { approve: true, reason: transaction.reason };
  const problem = transaction.enterprise ? automaticRejectionReason(transaction.enterprise) : 'no enterprise data';
  return problem ? { approve: false, reason: problem } : { approve: true, reason: '' };
}

/** Applies a decision to the filing, closes the transaction and queues the outcome for the node. */
async function decide(store: FilingStore, transaction: FilingTransactionEntity, decision: ReviewDecision): Promise<void> {
  const now = new Date();
  const filing = await store.lockFiling(transaction.prefixKey);
  if (!filing) throw new Error(`filing ${transaction.prefix} of transaction ${transaction.serverTransactionId} is missing`);
  let outcome: ReviewOutcome;
  if (decision.approve) {
    if (transaction.operation === 'delete') {
      outcome = 'deleted';
      filing.status = 'deleted';
    } else {
      outcome = 'approved';
      filing.enterprise = transaction.enterprise ?? filing.enterprise;
      if (transaction.operation === 'create') {
        filing.status = 'approved';
        filing.approvedAt = now;
      }
    }
  } else {
    outcome = 'rejected';
    if (transaction.operation === 'create') filing.status = 'rejected';
  }
  filing.reviewReason = decision.reason;
  if (filing.pendingTransactionId === transaction.serverTransactionId) filing.pendingTransactionId = null;
  filing.updatedAt = now;
  await store.saveFiling(filing);
  await store.completeTransaction(transaction.serverTransactionId, outcome, decision.reason, now);
  await store.enqueueMessage({
    messageId: randomUUID(),
    nodeId: transaction.nodeId,
    serverTransactionId: transaction.serverTransactionId,
    clientTransactionId: transaction.clientTransactionId,
    prefix: transaction.prefix,
    operation: transaction.operation,
    outcome,
    reason: decision.reason,
    reviewedAt: now,
  });
}
