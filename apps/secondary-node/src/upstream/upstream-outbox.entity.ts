import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { OutboxKind, OutboxPayload, OutboxResponse, OutboxStatus } from './outbox-item';

/**
 * Calls to the top-level node that must happen because of a committed local change. A row is
 * written in the transaction of that change and delivered afterwards, with retries, by
 * OutboxWorker; `client_transaction_id` is sent with every attempt so a replay has no effect.
 * The schema only: OutboxRepository reads and writes the rows as typed items (outbox-item.ts).
 */
@Entity({ name: 'upstream_outbox' })
@Check('ck_upstream_outbox_kind', `"kind" IN ('filing-create', 'filing-update', 'filing-delete', 'statistics-report')`)
@Check('ck_upstream_outbox_status', `"status" IN ('pending', 'delivered', 'failed')`)
@Index('ix_upstream_outbox_status_next', ['status', 'nextAttemptAt'])
export class UpstreamOutboxEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_upstream_outbox' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  kind: OutboxKind;

  @Column({ type: 'jsonb' })
  payload: OutboxPayload;

  @Index('uq_upstream_outbox_client_transaction', { unique: true })
  @Column({ name: 'client_transaction_id', type: 'varchar', length: 64 })
  clientTransactionId: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError: string | null;

  /** What the top level answered to the delivered call. */
  @Column({ type: 'jsonb', nullable: true })
  response: OutboxResponse | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  /** The X-Request-Id of the request (or the id of the ingestion batch) that wrote the item. */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;
}
