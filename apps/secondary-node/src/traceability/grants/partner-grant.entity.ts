import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AccountEntity } from '../../auth/account.entity';
import { EnterpriseEntity } from '../../registry/entities/enterprise.entity';

/**
 * An enterprise lets another account (a partner, or another enterprise) read its traceability
 * events. Revoking deletes the row; access is computed per request, so a revocation is effective at once.
 */
@Entity({ name: 'partner_grants' })
@Index('uq_partner_grants_enterprise_grantee', ['enterpriseId', 'granteeAccountId'], { unique: true })
export class PartnerGrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'enterprise_id', type: 'uuid' })
  enterpriseId: string;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enterprise_id', foreignKeyConstraintName: 'fk_partner_grants_enterprise' })
  enterprise?: EnterpriseEntity;

  /** Looked up on every traceability read ("which enterprises granted me?"). */
  @Index('ix_partner_grants_grantee')
  @Column({ name: 'grantee_account_id', type: 'uuid' })
  granteeAccountId: string;

  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'grantee_account_id', foreignKeyConstraintName: 'fk_partner_grants_grantee' })
  grantee?: AccountEntity;

  /** Username of whoever created the grant (the enterprise's account or an operator). */
  @Column({ name: 'granted_by', type: 'varchar', length: 50 })
  grantedBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
