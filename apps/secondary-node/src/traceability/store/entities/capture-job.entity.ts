import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type CaptureJobStatus = 'accepted' | 'succeeded' | 'failed';

/** GS1-Capture-Error-Behaviour: all or nothing, or store what is valid and report the rest. */
export type CaptureErrorBehaviour = 'rollback' | 'proceed';

/**
 * One problem of a capture job, as GET /epcis/capture/{captureID} lists it: an RFC 7807 problem
 * with its EPCISException type (jobs written before these fields existed hold only path and message).
 */
export interface CaptureJobProblem {
  path: string;
  message: string;
  type?: string;
  title?: string;
  status?: number;
  /** the eventID of the refused event, when it has one */
  eventID?: string;
}

/** One POST /epcis/capture (or POST /epcis/events): what GET /epcis/capture/{captureID} reports. */
@Entity({ name: 'epcis_capture_jobs' })
@Check('ck_epcis_capture_jobs_status', `"status" IN ('accepted', 'succeeded', 'failed')`)
@Check('ck_epcis_capture_jobs_error_behaviour', `"error_behaviour" IN ('rollback', 'proceed')`)
@Index('ix_epcis_capture_jobs_account', ['accountId', 'createdAt'])
@Index('ix_epcis_capture_jobs_prefix', ['enterprisePrefix', 'createdAt', 'id'])
export class CaptureJobEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_epcis_capture_jobs' })
  id: string;

  @Column({ name: 'enterprise_prefix', type: 'text' })
  enterprisePrefix: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ type: 'text' })
  status: CaptureJobStatus;

  @Column({ name: 'error_behaviour', type: 'text', default: 'rollback' })
  errorBehaviour: CaptureErrorBehaviour;

  @Column({ name: 'event_count', type: 'int' })
  eventCount: number;

  @Column({ type: 'int', default: 0 })
  stored: number;

  @Column({ type: 'int', default: 0 })
  duplicates: number;

  /** Events not captured because of their errors (proceed; with rollback a failed job refuses all of them). */
  @Column({ type: 'int', default: 0 })
  rejected: number;

  @Column({ type: 'jsonb', nullable: true })
  problems: CaptureJobProblem[] | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
