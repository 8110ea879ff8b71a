import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { FilingReceipt } from '@idis/contracts';
import { PeriodicTask } from '@idis/runtime';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { EventHub } from '../events/event-hub';
import { retryDelayMs } from '@idis/runtime';
import { classifyFailure, describeFailure } from './backoff';
import { FilingCheck, type TopLevelStanding } from './filing-check';
import type { FilingPayload, OutboxItem, OutboxResponse } from './outbox-item';
import { OutboxRepository } from './outbox.repository';
import { TopLevelLink } from './top-level-link';

/** The check before a filing-create found the prefix filed or pending for another node: retrying cannot help. */
class FiledElsewhere extends Error {
  constructor(
    readonly prefix: string,
    standing: Extract<TopLevelStanding, { kind: 'elsewhere' }>,
  ) {
    super(`PREFIX_FILED_ELSEWHERE: prefix ${prefix} is ${standing.state === 'filed' ? 'filed' : 'pending filing'} at the top level by node ${standing.nodeId}, not this node; the application was rejected`);
  }
}

/** Most items one tick delivers before yielding (bounds a tick after a long outage). */
const MAX_ITEMS_PER_TICK = 100;

/**
 * Delivers the outbox: claims one due item at a time (SKIP LOCKED, so replicas share the work),
 * sends it with its client transaction id, and records the outcome. A transient failure is retried
 * with exponential backoff and jitter; a refusal for good (or too many attempts) marks it failed
 * with its last error, for the operator view.
 *
 * A filing-create is checked first (EPP "check before create"): when the top level has the prefix
 * filed or pending for another node, the item fails at once with that reason and the application
 * is rejected. When the filing is this node's own (an earlier attempt of this very item reached
 * the top level), the create is sent again with the same client transaction id and is answered
 * as a replay.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Outbox');
  private readonly task: PeriodicTask<number>;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstreamConfig: UpstreamConfig,
    private readonly link: TopLevelLink,
    private readonly repository: OutboxRepository,
    private readonly filingCheck: FilingCheck,
    private readonly events: EventHub,
  ) {
    this.task = new PeriodicTask(() => this.deliverDue(), {
      intervalMs: Math.min(1000, upstreamConfig.pollIntervalMs),
      onError: (error) => this.logger.warn(`outbox pass failed: ${describeFailure(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    if (this.link.configured) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** Starts a delivery pass now unless one is running (called after an item is written, and by the timer). */
  kick(): void {
    if (this.link.configured) void this.task.runNow();
  }

  /** Delivers every due item (bounded); resolves when none is left due. Exposed for tests. */
  async deliverDue(): Promise<number> {
    if (!this.link.enrolment) return 0;
    let delivered = 0;
    for (let i = 0; i < MAX_ITEMS_PER_TICK && !this.task.stopped; i += 1) {
      const item = await this.repository.claimDue(this.upstreamConfig.callTimeoutMs * 2 + 1000);
      if (!item) break;
      if (await this.deliver(item)) delivered += 1;
      else if (this.link.state === 'unreachable') break; // the rest would fail the same way
    }
    return delivered;
  }

  private async deliver(item: OutboxItem): Promise<boolean> {
    try {
      const response = await this.send(item);
      await this.repository.markDelivered(item.id, response);
      // reqId: the request that wrote the item, so its delivery can be found from its log line or audit row.
      this.logger.log({ msg: 'outbox item delivered', kind: item.kind, clientTransactionId: item.clientTransactionId, attempts: item.attempts, reqId: item.requestId ?? undefined });
      return true;
    } catch (error) {
      if (error instanceof FiledElsewhere) {
        // Application first: if this process dies before markFailed, the next attempt finds the
        // same answer and marks the item then (rejecting an already rejected application changes nothing).
        await this.events.emit('filing.completed', { prefix: error.prefix, outcome: 'rejected', reason: error.message, filedElsewhere: true });
        await this.repository.markFailed(item.id, error.message);
        this.logger.warn(`${item.kind} ${item.clientTransactionId} (request ${item.requestId ?? '-'}): ${error.message}`);
        return false;
      }
      const description = describeFailure(error);
      const kind = classifyFailure(error);
      if (kind === 'permanent' || item.attempts >= this.upstreamConfig.maxAttempts) {
        await this.repository.markFailed(item.id, description);
        this.logger.error(`${item.kind} ${item.clientTransactionId} (request ${item.requestId ?? '-'}) failed for good after ${item.attempts} attempt(s): ${description}`);
      } else {
        const delay = retryDelayMs(item.attempts, this.upstreamConfig.retryBaseMs, this.upstreamConfig.retryMaxMs);
        await this.repository.markRetry(item.id, delay, description);
      }
      return false;
    }
  }

  private async createAfterCheck(clientTransactionId: string, payload: FilingPayload): Promise<FilingReceipt> {
    const standing = await this.checkBeforeCreate(payload.prefix);
    if (standing?.kind === 'elsewhere') throw new FiledElsewhere(payload.prefix, standing);
    return this.link.call((client, credentials) => client.createFiling({ clientTransactionId, prefix: payload.prefix, enterprise: payload.enterprise }, credentials));
  }

  /** undefined when the top level refuses to answer the check for good (the create then gets its own answer). */
  private async checkBeforeCreate(prefix: string): Promise<TopLevelStanding | undefined> {
    try {
      return await this.filingCheck.standing(prefix);
    } catch (error) {
      if (classifyFailure(error) === 'permanent') return undefined;
      throw error;
    }
  }

  private send(item: OutboxItem): Promise<OutboxResponse> {
    const clientTransactionId = item.clientTransactionId;
    switch (item.kind) {
      case 'filing-create':
        return this.createAfterCheck(clientTransactionId, item.payload);
      case 'filing-update': {
        const { prefix, enterprise } = item.payload;
        return this.link.call((client, credentials) => client.updateFiling({ clientTransactionId, prefix, enterprise }, credentials));
      }
      case 'filing-delete': {
        const { prefix, reason } = item.payload;
        return this.link.call((client, credentials) => client.deleteFiling({ clientTransactionId, prefix, reason }, credentials));
      }
      case 'statistics-report': {
        const report = item.payload;
        return this.link.call((client, credentials) => client.reportStatistics(report, credentials));
      }
    }
  }
}
