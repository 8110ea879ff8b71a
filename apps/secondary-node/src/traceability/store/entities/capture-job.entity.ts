import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type CaptureJobStatus = 'accepted' | 'succeeded' | 'failed';

/** One POST /epcis/capture: what GET /epcis/capture/{captureID} reports. */
@Entity({ name: 'epcis_capture_jobs' })
@Check('ck_epcis_capture_jobs_status', `"status" IN ('accepted', 'succeeded', 'failed')`)
@Index('ix_epcis_capture_jobs_account', ['accountId', 'createdAt'])
export class CaptureJobEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_epcis_capture_jobs' })
  id: string;

  @Column({ name: 'enterprise_prefix', type: 'text' })
  enterprisePrefix: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ type: 'text' })
  status: CaptureJobStatus;

  @Column({ name: 'event_count', type: 'int' })
  eventCount: number;

  @Column({ type: 'int', default: 0 })
  stored: number;

  @Column({ type: 'int', default: 0 })
  duplicates: number;

  @Column({ type: 'jsonb', nullable: true })
  problems: Array<{ path: string; message: string }> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
