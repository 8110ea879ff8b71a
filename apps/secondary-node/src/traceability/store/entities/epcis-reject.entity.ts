import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A message or capture that was refused, kept with its reason (MQTT has no dead-letter queue). */
@Entity({ name: 'epcis_rejects' })
@Index('ix_epcis_rejects_prefix_received', ['enterprisePrefix', 'receivedAt'])
export class EpcisRejectEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'pk_epcis_rejects' })
  id: string;

  /** The topic's prefix segment when it could be read (it may be a prefix this node does not serve). */
  @Column({ name: 'enterprise_prefix', type: 'text', nullable: true })
  enterprisePrefix: string | null;

  @Column({ type: 'text' })
  source: 'mqtt' | 'capture';

  @Column({ type: 'text', nullable: true })
  topic: string | null;

  /** Stable machine reason: invalid_topic, prefix_not_active, payload_too_large, invalid_payload, foreign_commissioning, storage_error, event_id_conflict, rate_limited */
  @Column({ type: 'text' })
  reason: string;

  /** [{path, message}] */
  @Column({ type: 'jsonb' })
  problems: Array<{ path: string; message: string }>;

  /** The first 64 KiB of the payload, as text (invalid UTF-8 replaced). */
  @Column({ type: 'text' })
  payload: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
