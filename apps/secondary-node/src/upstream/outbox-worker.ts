import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Enterprise, PrefixVolume } from '@idis/contracts';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { classifyFailure, describeFailure, retryDelayMs } from './backoff';
import { TopLevelLink } from './top-level-link';
import { type OutboxItem, UpstreamRepository } from './upstream.repository';

/** What a filing item carries (written by the registry when an application is approved). */
export interface FilingPayload {
  prefix: string;
  enterprise?: Enterprise;
  reason?: string;
  applicationId?: string;
}

/** What a statistics-report item carries (written by StatisticsReporter). */
export interface ReportPayload {
  sequence: number;
  periodStartMs: number;
  periodEndMs: number;
  volumes: PrefixVolume[];
}

/** Most items one tick delivers before yielding (bounds a tick after a long outage). */
const MAX_ITEMS_PER_TICK = 100;

/**
 * Delivers the outbox: claims one due item at a time (SKIP LOCKED, so replicas share the work),
 * sends it with its client transaction id, and records the outcome. A transient failure is retried
 * with exponential backoff and jitter; a refusal for good (or too many attempts) marks it failed
 * with its last error, for the operator view.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Outbox');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    private readonly link: TopLevelLink,
    private readonly repository: UpstreamRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.link.configured) return;
    const interval = Math.min(1000, this.config.upstream.pollIntervalMs);
    this.timer = setInterval(() => this.kick(), interval);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Starts a delivery pass now unless one is running (called after an item is written, and by the timer). */
  kick(): void {
    if (this.stopped || !this.link.configured || this.running) return;
    this.running = this.deliverDue()
      .catch((error: unknown) => this.logger.warn(`outbox pass failed: ${describeFailure(error)}`))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Delivers every due item (bounded); resolves when none is left due. Exposed for tests. */
  async deliverDue(): Promise<number> {
    if (!this.link.enrolment) return 0;
    let delivered = 0;
    for (let i = 0; i < MAX_ITEMS_PER_TICK && !this.stopped; i += 1) {
      const item = await this.repository.claimDue(this.config.upstream.callTimeoutMs * 2 + 1000);
      if (!item) break;
      if (await this.deliver(item)) delivered += 1;
      else if (this.link.state === 'unreachable') break; // the rest would fail the same way
    }
    return delivered;
  }

  private async deliver(item: OutboxItem): Promise<boolean> {
    try {
      const response = await this.send(item);
      await this.repository.markDelivered(item.id, response as unknown as Record<string, unknown>);
      return true;
    } catch (error) {
      const description = describeFailure(error);
      const kind = classifyFailure(error);
      if (kind === 'permanent' || item.attempts >= this.config.upstream.maxAttempts) {
        await this.repository.markFailed(item.id, description);
        this.logger.error(`${item.kind} ${item.clientTransactionId} failed for good after ${item.attempts} attempt(s): ${description}`);
      } else {
        const delay = retryDelayMs(item.attempts, this.config.upstream.retryBaseMs, this.config.upstream.retryMaxMs);
        await this.repository.markRetry(item.id, delay, description);
      }
      return false;
    }
  }

  private send(item: OutboxItem): Promise<object> {
    const clientTransactionId = item.clientTransactionId;
    switch (item.kind) {
      case 'filing-create': {
        const payload = item.payload as unknown as FilingPayload;
        return this.link.call((client, credentials) => client.createFiling({ clientTransactionId, prefix: payload.prefix, enterprise: payload.enterprise }, credentials));
      }
      case 'filing-update': {
        const payload = item.payload as unknown as FilingPayload;
        return this.link.call((client, credentials) => client.updateFiling({ clientTransactionId, prefix: payload.prefix, enterprise: payload.enterprise }, credentials));
      }
      case 'filing-delete': {
        const payload = item.payload as unknown as FilingPayload;
        return this.link.call((client, credentials) => client.deleteFiling({ clientTransactionId, prefix: payload.prefix, reason: payload.reason ?? '' }, credentials));
      }
      case 'statistics-report': {
        const payload = item.payload as unknown as ReportPayload;
        return this.link.call((client, credentials) => client.reportStatistics(payload, credentials));
      }
    }
  }
}
