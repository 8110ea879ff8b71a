import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { FilingOperation, FilingStatus, type ReviewResult } from '@idis/contracts';
import { PeriodicTask } from '@idis/runtime';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { EventHub } from '../events/event-hub';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { describeFailure } from './backoff';
import { TopLevelLink } from './top-level-link';

/** Most review messages one pass takes from the queue. */
const MAX_MESSAGES_PER_PASS = 100;

/**
 * Collects the top level's review outcomes (EPP poll/ack): Poll returns the oldest waiting
 * message, the outcome is applied locally (prefix activated, or the application rejected with the
 * top level's reason), and only once that has committed is the message acknowledged. A crash in
 * between makes the message come back, and applying it again changes nothing.
 */
@Injectable()
export class FilingPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('FilingPoller');
  private readonly task: PeriodicTask<number>;

  constructor(
    @Inject(UPSTREAM_CONFIG) config: UpstreamConfig,
    private readonly link: TopLevelLink,
    private readonly events: EventHub,
  ) {
    this.task = new PeriodicTask(() => this.drain(), { intervalMs: config.pollIntervalMs });
  }

  onApplicationBootstrap(): void {
    if (this.link.configured) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** One pass (shared with a pass already running): the number of messages applied and acknowledged. */
  async pollNow(): Promise<number> {
    return (await this.task.runNow()) ?? 0;
  }

  private async drain(): Promise<number> {
    if (!this.link.enrolment) return 0;
    let handled = 0;
    try {
      for (let i = 0; i < MAX_MESSAGES_PER_PASS && !this.task.stopped; i += 1) {
        const polled = await this.link.call((client, credentials) => client.poll(credentials));
        if (!polled.message) break;
        await this.apply(polled.message);
        await this.link.call((client, credentials) => client.ack({ messageId: polled.message!.messageId }, credentials));
        handled += 1;
      }
    } catch (error) {
      this.logger.debug?.(`filing poll failed: ${describeFailure(error)}`);
    }
    return handled;
  }

  private async apply(message: ReviewResult): Promise<void> {
    if (message.operation !== FilingOperation.FILING_OPERATION_CREATE) {
      // A delete follows an operator's deactivation, which already took effect locally: its outcome
      // needs no local change, but a refusal means the top level still refers other nodes here.
      const summary = `review of ${FilingOperation[message.operation]} ${message.prefix}: ${FilingStatus[message.outcome]}`;
      if (message.outcome === FilingStatus.FILING_STATUS_REJECTED) this.logger.warn(`${summary} (${message.reason || 'no reason given'})`);
      else this.logger.log(summary);
      return;
    }
    if (message.outcome === FilingStatus.FILING_STATUS_APPROVED) {
      await this.events.emit('filing.completed', { prefix: message.prefix, outcome: 'approved', reason: message.reason });
    } else if (message.outcome === FilingStatus.FILING_STATUS_REJECTED) {
      await this.events.emit('filing.completed', { prefix: message.prefix, outcome: 'rejected', reason: message.reason });
    }
  }
}
