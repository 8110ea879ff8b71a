import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Nonces of accepted signed calls, kept until their timestamp leaves the clock-skew window: the
 * primary key refuses a replay, also after a restart.
 */
@Entity({ name: 'request_nonces' })
@Index('ix_request_nonces_expires_at', ['expiresAt'])
export class RequestNonceEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_request_nonces' })
  nodeId: string;

  @PrimaryColumn({ type: 'varchar', length: 128, collation: 'C', primaryKeyConstraintName: 'pk_request_nonces' })
  nonce: string;

  /** The call's timestamp plus the allowed clock skew: after this the timestamp alone refuses it. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
