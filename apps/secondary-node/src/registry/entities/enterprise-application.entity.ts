import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { EnterpriseEntity } from './enterprise.entity';

/** pending_review → approved → filing → active, or pending_review → rejected. */
export type ApplicationStatus = 'pending_review' | 'approved' | 'filing' | 'active' | 'rejected';

/**
 * What an enterprise submits to obtain a prefix. The account and the enterprise exist only
 * once an operator approves; until then the application carries the credentials (hashed).
 */
@Entity({ name: 'enterprise_applications' })
@Index('ix_enterprise_applications_status_created', ['status', 'createdAt'])
@Check('ck_enterprise_applications_status', `"status" IN ('pending_review', 'approved', 'filing', 'active', 'rejected')`)
export class EnterpriseApplicationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_name', type: 'varchar', length: 200 })
  orgName: string;

  @Column({ name: 'credit_code', type: 'char', length: 18 })
  creditCode: string;

  @Column({ name: 'contact_name', type: 'varchar', length: 100 })
  contactName: string;

  @Column({ name: 'contact_phone', type: 'varchar', length: 32 })
  contactPhone: string;

  @Column({ name: 'contact_email', type: 'varchar', length: 254 })
  contactEmail: string;

  @Column({ name: 'requested_prefix', type: 'varchar', length: 64 })
  requestedPrefix: string;

  @Column({ type: 'varchar', length: 50 })
  username: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ name: 'password_digest_sealed', type: 'varchar', length: 255 })
  passwordDigestSealed: string;

  @Column({ type: 'varchar', length: 16, default: 'pending_review' })
  status: ApplicationStatus;

  @Column({ name: 'review_reason', type: 'varchar', length: 1000, nullable: true })
  reviewReason: string | null;

  @Column({ name: 'reviewed_by', type: 'varchar', length: 50, nullable: true })
  reviewedBy: string | null;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt: Date | null;

  @Column({ name: 'enterprise_id', type: 'uuid', nullable: true })
  enterpriseId: string | null;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id', foreignKeyConstraintName: 'fk_enterprise_applications_enterprise' })
  enterprise?: EnterpriseEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
