import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A review outcome waiting for the filing node (EPP poll queue): collected with Poll (oldest
 * first), deleted by Ack.
 */
@Entity({ name: 'review_messages' })
@Index('ix_review_messages_node_reviewed_at', ['nodeId', 'reviewedAt'])
export class ReviewMessageEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid', primaryKeyConstraintName: 'pk_review_messages' })
  messageId: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @Column({ name: 'server_transaction_id', type: 'uuid' })
  serverTransactionId: string;

  @Column({ name: 'client_transaction_id', type: 'varchar', length: 64, collation: 'C' })
  clientTransactionId: string;

  @Column({ type: 'varchar', length: 64 })
  prefix: string;

  @Column({ type: 'varchar', length: 8 })
  operation: string;

  @Column({ type: 'varchar', length: 16 })
  outcome: string;

  @Column({ type: 'varchar', length: 500, default: '' })
  reason: string;

  @Column({ name: 'reviewed_at', type: 'timestamptz' })
  reviewedAt: Date;
}
