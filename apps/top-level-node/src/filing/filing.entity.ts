import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EnterpriseRecord } from './enterprise';

export type FilingState = 'pending' | 'approved' | 'rejected' | 'deleted';

/**
 * One enterprise prefix as filed at the top level. `status` is the filing's life cycle (pending
 * only until its create is reviewed); an update or delete under review is `pending_transaction_id`
 * while the prefix stays approved (and resolvable).
 */
@Entity({ name: 'filings' })
@Check('ck_filings_status', `"status" IN ('pending', 'approved', 'rejected', 'deleted')`)
@Index('ix_filings_node_status', ['nodeId', 'status'])
export class FilingEntity {
  @PrimaryColumn({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C', primaryKeyConstraintName: 'pk_filings' })
  prefixKey: string;

  @Column({ type: 'varchar', length: 64 })
  prefix: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @Column({ type: 'varchar', length: 16 })
  status: FilingState;

  @Column({ type: 'jsonb' })
  enterprise: EnterpriseRecord;

  @Column({ name: 'review_reason', type: 'varchar', length: 500, default: '' })
  reviewReason: string;

  /** The operation under review, if any. */
  @Column({ name: 'pending_transaction_id', type: 'uuid', nullable: true })
  pendingTransactionId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'approved_at', type: 'timestamptz', nullable: true })
  approvedAt: Date | null;
}
