import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Volumes a node reported for one prefix ('-': everything not homed at the node) and period. */
@Entity({ name: 'reported_volumes' })
@Check('ck_reported_volumes_counts', `"registrations" >= 0 AND "resolutions" >= 0 AND "not_found" >= 0 AND "errors" >= 0`)
@Index('ix_reported_volumes_period_start', ['periodStart'])
export class ReportedVolumeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_reported_volumes' })
  nodeId: string;

  @PrimaryColumn({ name: 'period_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_reported_volumes' })
  periodStart: Date;

  @PrimaryColumn({ name: 'period_end', type: 'timestamptz', primaryKeyConstraintName: 'pk_reported_volumes' })
  periodEnd: Date;

  @PrimaryColumn({ type: 'varchar', length: 64, collation: 'C', primaryKeyConstraintName: 'pk_reported_volumes' })
  prefix: string;

  @Column({ type: 'bigint' })
  registrations: string;

  @Column({ type: 'bigint' })
  resolutions: string;

  @Column({ name: 'not_found', type: 'bigint' })
  notFound: string;

  @Column({ type: 'bigint' })
  errors: string;
}
