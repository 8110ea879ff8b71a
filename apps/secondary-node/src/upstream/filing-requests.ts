import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import type { FilingRequest } from '../events/node-events';
import { FilingCheck } from './filing-check';
import { OutboxRepository } from './outbox.repository';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';

/** How long an application waits for the top level's check before it is accepted unchecked. */
const APPLY_CHECK_TIMEOUT_MS = 1000;

/**
 * The registry's side of filing, heard on the event hub: an application is checked at the top
 * level before anything is written (EPP check before create), and a filing requested inside an
 * approval or deactivation is written to the outbox in that same transaction.
 */
@Injectable()
export class FilingRequests {
  constructor(
    @Inject(UPSTREAM_CONFIG) private readonly config: UpstreamConfig,
    private readonly filingCheck: FilingCheck,
    private readonly outbox: OutboxRepository,
    events: EventHub,
  ) {
    events.on('prefix.requested', ({ prefix }) => this.checkAtTopLevel(prefix));
    events.on('filing.requested', ({ manager, filing }) => this.enqueue(manager, filing));
  }

  /**
   * When linked, ask the top level whether the prefix is free for this node, with a short
   * deadline. Filed or pending for another node → refused now, nothing written. No answer
   * (unreachable, slow) → accepted: the outbox checks again before it files.
   */
  private async checkAtTopLevel(prefix: string): Promise<void> {
    if (this.config.topLevelUrl === undefined || !this.filingCheck.linked) return;
    let standing;
    try {
      standing = await this.filingCheck.standing(prefix, { timeoutMs: Math.min(APPLY_CHECK_TIMEOUT_MS, this.config.callTimeoutMs), probe: true });
    } catch {
      return;
    }
    if (standing.kind === 'elsewhere') {
      const state = standing.state === 'filed' ? 'already filed' : 'pending filing';
      throw new DomainError('PREFIX_FILED_ELSEWHERE', `prefix ${prefix} is ${state} at the top-level node by another node (${standing.nodeId})`, [
        { path: '/requestedPrefix', message: `is ${state} at the top-level node by another node` },
      ]);
    }
  }

  private async enqueue(manager: EntityManager, filing: FilingRequest): Promise<void> {
    if (filing.action === 'create') {
      await this.outbox.enqueue(manager, {
        kind: 'filing-create',
        clientTransactionId: filing.clientTransactionId,
        payload: { prefix: filing.prefix, applicationId: filing.applicationId, enterprise: { ...filing.enterprise } },
      });
    } else {
      await this.outbox.enqueue(manager, {
        kind: 'filing-delete',
        clientTransactionId: filing.clientTransactionId,
        payload: { prefix: filing.prefix, applicationId: filing.applicationId, reason: filing.reason },
      });
    }
  }
}
