import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { EnterprisePrefixEntity } from './enterprise-prefix.entity';
import { TemplateItemEntity } from './template-item.entity';

/** SNMS v5 data template (数据模板): a versioned list of attribute items for one enterprise prefix. */
@Entity({ name: 'data_templates' })
@Index('uq_data_templates_prefix_version', ['prefixKey', 'version'], { unique: true })
@Check('ck_data_templates_type', `"type" IN (1, 2)`)
export class DataTemplateEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C' })
  prefixKey: string;

  @ManyToOne(() => EnterprisePrefixEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'prefix_key', foreignKeyConstraintName: 'fk_data_templates_prefix' })
  enterprisePrefix?: EnterprisePrefixEntity;

  @Column({ type: 'varchar', length: 128 })
  version: string;

  @Column({ name: 'industry_category', type: 'varchar', length: 1 })
  industryCategory: string;

  @Column({ name: 'industry_specific', type: 'varchar', length: 2 })
  industrySpecific: string;

  @Column({ name: 'industry_trade', type: 'varchar', length: 3 })
  industryTrade: string;

  @Column({ name: 'industry_subclass', type: 'varchar', length: 4 })
  industrySubclass: string;

  /** 1 = active identifier carrier (主动标识载体), 2 = other. */
  @Column({ type: 'smallint' })
  type: number;

  @Column({ type: 'varchar', length: 1000, default: '' })
  description: string;

  @OneToMany(() => TemplateItemEntity, (item) => item.template)
  items?: TemplateItemEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
