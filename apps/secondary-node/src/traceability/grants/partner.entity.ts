import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AccountEntity } from '../../auth/account.entity';

/** The organisation behind a partner account (role `partner`), created by an operator. */
@Entity({ name: 'partners' })
export class PartnerEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'fk_partners_account' })
  account?: AccountEntity;

  @Column({ name: 'org_name', type: 'varchar', length: 200 })
  orgName: string;

  @Column({ name: 'created_by', type: 'varchar', length: 50 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
