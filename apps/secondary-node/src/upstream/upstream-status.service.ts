import { Inject, Injectable } from '@nestjs/common';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import { keysetRows } from '../http/keyset-rows';
import { EnrolmentRepository } from './enrolment.repository';
import { HeartbeatTask } from './heartbeat-task';
import type { OutboxItem, OutboxItemOf, OutboxPayload, OutboxResponse, OutboxStatus } from './outbox-item';
import { type OutboxCursor, OutboxRepository } from './outbox.repository';
import { OutboxWorker } from './outbox-worker';
import { TopLevelLink } from './top-level-link';

export interface OutboxItemView {
  id: string;
  kind: string;
  /** What the item is about: the prefix of a filing, the period (ISO 8601 interval) of a statistics report. */
  target: string;
  clientTransactionId: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  payload: OutboxPayload;
  response: OutboxResponse | null;
  /** The request that wrote the item (its X-Request-Id): the same id is in its log line and audit row. */
  requestId: string | null;
}

/** What the operator sees of the link to the top level: GET /api/v1/node/status and the outbox view. */
@Injectable()
export class UpstreamStatusService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstreamConfig: UpstreamConfig,
    private readonly link: TopLevelLink,
    private readonly enrolment: EnrolmentRepository,
    private readonly outboxRepository: OutboxRepository,
    private readonly heartbeats: HeartbeatTask,
    private readonly outbox: OutboxWorker,
    private readonly events: EventHub,
  ) {}

  async status() {
    const [depth, lastReport, stored] = await Promise.all([
      this.outboxRepository.depth(),
      this.outboxRepository.lastReport(),
      this.link.configured ? this.enrolment.findEnrolment(this.config.nodeId) : Promise.resolve(null),
    ]);
    const lastAck = this.heartbeats.lastAckAt ?? stored?.lastHeartbeatAckAt ?? undefined;
    return {
      nodeId: this.config.nodeId,
      secondaryPrefix: this.config.secondaryPrefix,
      publicUrl: this.link.publicUrl || null,
      topLevel: { configured: this.link.configured, url: this.upstreamConfig.topLevelUrl ?? null },
      enrolment: this.link.enrolment ?? null,
      link: {
        state: this.link.state,
        message: this.link.configured ? undefined : 'not configured: TOP_LEVEL_URL is not set, this node runs unlinked (approved prefixes activate at once)',
        lastHeartbeatAckAt: lastAck ? lastAck.toISOString() : null,
        lastSuccessAt: this.link.lastSuccessAt?.toISOString() ?? null,
        lastError: this.link.lastError ?? null,
        lastErrorAt: this.link.lastErrorAt?.toISOString() ?? null,
      },
      outbox: { pending: depth.pending, failed: depth.failed, delivered: depth.delivered },
      lastReport: lastReport ? reportView(lastReport) : null,
    };
  }

  async outboxItems(status: OutboxStatus | undefined, page: number, pageSize: number) {
    const result = await this.outboxRepository.list(status, pageSize, (page - 1) * pageSize);
    return { items: result.items.map(itemView), total: result.total, page, pageSize };
  }

  /** Every item of the listing (same filter, newest first), a page of the database at a time, for the CSV export. */
  async exportOutbox(status: OutboxStatus | undefined): Promise<{ total: number; rows: AsyncIterable<OutboxItemView> }> {
    const repository = this.outboxRepository;
    const total = await repository.count(status);
    async function* rows(): AsyncGenerator<OutboxItemView> {
      const pages = keysetRows((after: OutboxCursor | undefined, limit) => repository.listAfter(status, after, limit), (row) => row.cursor);
      for await (const row of pages) yield itemView(row.item);
    }
    return { total, rows: rows() };
  }

  async retry(id: string): Promise<OutboxItemView> {
    const result = await this.outboxRepository.retryNow(id, (manager, before) =>
      this.events.emit('audit.recorded', { manager, entry: { action: 'outbox.retry', target: `outbox:${id}`, outcome: 'ok', before: { status: before }, after: { status: 'pending', attempts: 0 } } }),
    );
    if (result === undefined) throw new DomainError('NOT_FOUND', `outbox item ${id} not found`);
    if (result === false) throw new DomainError('ILLEGAL_TRANSITION', `outbox item ${id} was delivered already; there is nothing to retry`);
    this.outbox.kick();
    return itemView(result);
  }
}

function itemView(item: OutboxItem): OutboxItemView {
  return {
    id: item.id,
    kind: item.kind,
    target: targetOf(item),
    clientTransactionId: item.clientTransactionId,
    status: item.status,
    attempts: item.attempts,
    lastError: item.lastError,
    nextAttemptAt: item.status === 'pending' ? item.nextAttemptAt.toISOString() : null,
    createdAt: item.createdAt.toISOString(),
    deliveredAt: item.deliveredAt ? item.deliveredAt.toISOString() : null,
    payload: item.payload,
    response: item.response,
    requestId: item.requestId,
  };
}

function targetOf(item: OutboxItem): string {
  if (item.kind === 'statistics-report') return `${new Date(item.payload.periodStartMs).toISOString()}/${new Date(item.payload.periodEndMs).toISOString()}`;
  return item.payload.prefix;
}

function reportView(item: OutboxItemOf<'statistics-report'>) {
  const payload = item.payload;
  return {
    sequence: payload.sequence,
    periodStart: new Date(payload.periodStartMs).toISOString(),
    periodEnd: new Date(payload.periodEndMs).toISOString(),
    prefixes: payload.volumes.length,
    status: item.status,
    deliveredAt: item.deliveredAt ? item.deliveredAt.toISOString() : null,
    lastError: item.lastError,
  };
}
