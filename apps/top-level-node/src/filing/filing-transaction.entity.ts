import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { EnterpriseRecord } from './enterprise';

export type FilingOperationName = 'create' | 'update' | 'delete';
export type ReviewOutcome = 'approved' | 'rejected' | 'deleted';

/**
 * Every accepted create/update/delete, keyed by the caller's client transaction id (a repeat with
 * the same id replays the first receipt), with its review: due time, outcome and reason.
 */
@Entity({ name: 'filing_transactions' })
@Unique('uq_filing_transactions_client', ['nodeId', 'clientTransactionId'])
@Check('ck_filing_transactions_operation', `"operation" IN ('create', 'update', 'delete')`)
@Check('ck_filing_transactions_outcome', `"outcome" IS NULL OR "outcome" IN ('approved', 'rejected', 'deleted')`)
@Index('ix_filing_transactions_review_due_at', ['reviewDueAt'])
@Index('ix_filing_transactions_prefix_key', ['prefixKey'])
export class FilingTransactionEntity {
  @PrimaryColumn({ name: 'server_transaction_id', type: 'uuid', primaryKeyConstraintName: 'pk_filing_transactions' })
  serverTransactionId: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @Column({ name: 'client_transaction_id', type: 'varchar', length: 64, collation: 'C' })
  clientTransactionId: string;

  @Column({ type: 'varchar', length: 64 })
  prefix: string;

  @Column({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C' })
  prefixKey: string;

  @Column({ type: 'varchar', length: 8 })
  operation: FilingOperationName;

  /** The enterprise data proposed by a create or update. */
  @Column({ type: 'jsonb', nullable: true })
  enterprise: EnterpriseRecord | null;

  /** The reason given for a delete. */
  @Column({ type: 'varchar', length: 500, default: '' })
  reason: string;

  @Column({ name: 'submitted_at', type: 'timestamptz', default: () => 'now()' })
  submittedAt: Date;

  /** When automatic review may decide it (FILING_REVIEW=auto). */
  @Column({ name: 'review_due_at', type: 'timestamptz' })
  reviewDueAt: Date;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome: ReviewOutcome | null;

  @Column({ name: 'review_reason', type: 'varchar', length: 500, default: '' })
  reviewReason: string;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt: Date | null;
}
