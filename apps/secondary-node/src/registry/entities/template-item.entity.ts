import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DataTemplateEntity } from './data-template.entity';

/** One attribute of a data template. Items are only ever added or disabled, never deleted. */
@Entity({ name: 'template_items' })
@Index('uq_template_items_id_type', ['templateId', 'idType'], { unique: true })
@Index('uq_template_items_name', ['templateId', 'name'], { unique: true })
@Check('ck_template_items_state', `"state" IN (0, 1)`)
@Check('ck_template_items_index', `"id_index" >= 2000`)
@Check('ck_template_items_lengths', `"min_length" >= 0 AND "min_length" <= "max_length"`)
export class TemplateItemEntity {
  @PrimaryColumn({ name: 'template_id', type: 'uuid' })
  templateId: string;

  @ManyToOne(() => DataTemplateEntity, (template) => template.items, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'template_id', foreignKeyConstraintName: 'fk_template_items_template' })
  template?: DataTemplateEntity;

  /** Handle value index of this attribute; 2000 and up (1001 holds the template version). */
  @PrimaryColumn({ name: 'id_index', type: 'integer' })
  idIndex: number;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  @Column({ name: 'id_type', type: 'varchar', length: 128 })
  idType: string;

  @Column({ type: 'boolean', default: false })
  required: boolean;

  /** 1 = enabled (启用), 0 = disabled (停用), as SNMS prefix states are numbered. */
  @Column({ type: 'smallint', default: 1 })
  state: number;

  @Column({ name: 'value_type', type: 'varchar', length: 16, default: 'string' })
  valueType: string;

  @Column({ name: 'min_length', type: 'integer', default: 0 })
  minLength: number;

  @Column({ name: 'max_length', type: 'integer', default: 255 })
  maxLength: number;
}
