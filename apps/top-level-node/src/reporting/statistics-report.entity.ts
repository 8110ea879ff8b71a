import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One accepted statistics report: the primary key makes a report idempotent per (node, period). */
@Entity({ name: 'statistics_reports' })
export class StatisticsReportEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_statistics_reports' })
  nodeId: string;

  @PrimaryColumn({ name: 'period_start', type: 'timestamptz', primaryKeyConstraintName: 'pk_statistics_reports' })
  periodStart: Date;

  @PrimaryColumn({ name: 'period_end', type: 'timestamptz', primaryKeyConstraintName: 'pk_statistics_reports' })
  periodEnd: Date;

  @Column({ type: 'bigint' })
  sequence: string;

  @Column({ name: 'volume_count', type: 'integer' })
  volumeCount: number;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
