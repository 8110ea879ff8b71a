import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { HandleJsonValue } from '@idis/identifier';
import { EnterprisePrefixEntity } from './enterprise-prefix.entity';

/**
 * One row per identifier. The key is the ASCII-lower-cased handle with the "C" collation, so that
 * the primary-key index also serves "all handles under a prefix" as a byte-order range scan
 * (prefix + '/' ≤ key < prefix + '0'); no second index has to be maintained on bulk inserts.
 *
 * The table is hash-partitioned by prefix_key (migration PartitionedStore1797200000000), so the
 * primary key has to contain prefix_key too; ck_identifiers_prefix_of_handle ties prefix_key to the
 * key's part before its first "/", which keeps handle_key unique on its own.
 */
@Entity({ name: 'identifiers' })
@Check('ck_identifiers_version', `"version" > 0`)
@Check('ck_identifiers_prefix_of_handle', `split_part("handle_key", '/', 1) = "prefix_key"`)
export class IdentifierEntity {
  @PrimaryColumn({ name: 'handle_key', type: 'varchar', length: 255, collation: 'C', primaryKeyConstraintName: 'pk_identifiers' })
  handleKey: string;

  /** The handle as it was first registered (original spelling preserved). */
  @Column({ type: 'varchar', length: 255 })
  handle: string;

  /** The partition key (and so part of the primary key); always the handle key's prefix. */
  @PrimaryColumn({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C', primaryKeyConstraintName: 'pk_identifiers' })
  prefixKey: string;

  @ManyToOne(() => EnterprisePrefixEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'prefix_key', foreignKeyConstraintName: 'fk_identifiers_prefix' })
  enterprisePrefix?: EnterprisePrefixEntity;

  /** Handle values in the Handle.Net JSON form. */
  @Column({ type: 'jsonb' })
  values: HandleJsonValue[];

  /** SNMS template version the record was registered with (also value index 1001), if any. */
  @Column({ name: 'template_version', type: 'varchar', length: 128, nullable: true })
  templateVersion: string | null;

  /** Incremented on every change; lets clients and caches detect a newer record. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
