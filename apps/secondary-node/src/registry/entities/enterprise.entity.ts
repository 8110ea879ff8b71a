import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type EnterpriseStatus = 'active' | 'suspended';

@Entity({ name: 'enterprises' })
@Check('ck_enterprises_status', `"status" IN ('active', 'suspended')`)
export class EnterpriseEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_name', type: 'varchar', length: 200 })
  orgName: string;

  /** Unified social credit code (统一社会信用代码, GB 32100), 18 characters, check character verified. */
  @Index('uq_enterprises_credit_code', { unique: true })
  @Column({ name: 'credit_code', type: 'char', length: 18 })
  creditCode: string;

  @Column({ name: 'contact_name', type: 'varchar', length: 100 })
  contactName: string;

  @Column({ name: 'contact_phone', type: 'varchar', length: 32 })
  contactPhone: string;

  @Column({ name: 'contact_email', type: 'varchar', length: 254 })
  contactEmail: string;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: EnterpriseStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
