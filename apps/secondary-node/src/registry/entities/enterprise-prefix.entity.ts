import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { EnterpriseApplicationEntity } from './enterprise-application.entity';
import { EnterpriseEntity } from './enterprise.entity';

/**
 * Review state of an enterprise prefix. A prefix row exists from the moment it is requested,
 * which reserves it; a rejected application deletes its row so the prefix becomes free again.
 */
export type PrefixStatus = 'pending_review' | 'approved' | 'filing' | 'active' | 'disabled';

@Entity({ name: 'enterprise_prefixes' })
@Check('ck_enterprise_prefixes_status', `"status" IN ('pending_review', 'approved', 'filing', 'active', 'disabled')`)
export class EnterprisePrefixEntity {
  /** ASCII-lower-cased prefix: prefixes are case-insensitive (RFC 3651 §2). */
  @PrimaryColumn({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C' })
  prefixKey: string;

  /** The prefix as the enterprise spelled it. */
  @Column({ type: 'varchar', length: 64 })
  prefix: string;

  @Column({ type: 'varchar', length: 16 })
  status: PrefixStatus;

  @Index('ix_enterprise_prefixes_enterprise')
  @Column({ name: 'enterprise_id', type: 'uuid', nullable: true })
  enterpriseId: string | null;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id', foreignKeyConstraintName: 'fk_enterprise_prefixes_enterprise' })
  enterprise?: EnterpriseEntity;

  @Index('uq_enterprise_prefixes_application', { unique: true })
  @Column({ name: 'application_id', type: 'uuid' })
  applicationId: string;

  @ManyToOne(() => EnterpriseApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id', foreignKeyConstraintName: 'fk_enterprise_prefixes_application' })
  application?: EnterpriseApplicationEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
