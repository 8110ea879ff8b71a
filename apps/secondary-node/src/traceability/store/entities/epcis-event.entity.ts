import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** Where an event came in: the MQTT consumer or POST /epcis/capture. */
export type EventSource = 'mqtt' | 'capture';

/**
 * One EPCIS event: the columns queries filter on, plus the document as received (with eventID
 * filled in when the node computed it). event_id is the publisher's eventID or the CBV 2.0 hash ID,
 * keyed by its owner: a redelivered copy from the same enterprise lands on the same row
 * (ON CONFLICT DO NOTHING); the same eventID from another enterprise meets the unique event_id and
 * is refused (uq_epcis_events_event_id), so an eventID still names one event for readers and edges.
 * An error declaration does not get a row of its own: it fills the error_* columns of its original.
 */
@Entity({ name: 'epcis_events' })
@Unique('uq_epcis_events_event_id', ['eventId'])
@Index('ix_epcis_events_prefix_time', ['enterprisePrefix', 'eventTime', 'eventId'])
@Index('ix_epcis_events_time', ['eventTime', 'eventId'])
@Index('ix_epcis_events_record_time', ['recordTime'])
export class EpcisEventEntity {
  /** The owning enterprise: the prefix of the MQTT topic, or the capturing enterprise's prefix. */
  @PrimaryColumn({ name: 'enterprise_prefix', type: 'text', primaryKeyConstraintName: 'pk_epcis_events' })
  enterprisePrefix: string;

  @PrimaryColumn({ name: 'event_id', type: 'text', primaryKeyConstraintName: 'pk_epcis_events' })
  eventId: string;

  /** Always the node-computed CBV 2.0 hash ID, even when the publisher gave an eventID. */
  @Index('ix_epcis_events_hash_id')
  @Column({ name: 'hash_id', type: 'text' })
  hashId: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  @Column({ name: 'event_time', type: 'timestamptz' })
  eventTime: Date;

  @Column({ name: 'event_time_zone_offset', type: 'text' })
  eventTimeZoneOffset: string;

  @Column({ name: 'record_time', type: 'timestamptz', default: () => 'now()' })
  recordTime: Date;

  @Column({ type: 'text', nullable: true })
  action: string | null;

  @Index('ix_epcis_events_biz_step')
  @Column({ name: 'biz_step', type: 'text', nullable: true })
  bizStep: string | null;

  @Column({ type: 'text', nullable: true })
  disposition: string | null;

  @Column({ name: 'read_point', type: 'text', nullable: true })
  readPoint: string | null;

  @Column({ name: 'biz_location', type: 'text', nullable: true })
  bizLocation: string | null;

  @Column({ name: 'error_declared_at', type: 'timestamptz', nullable: true })
  errorDeclaredAt: Date | null;

  @Column({ name: 'error_reason', type: 'text', nullable: true })
  errorReason: string | null;

  @Column({ name: 'corrective_event_ids', type: 'text', array: true, nullable: true })
  correctiveEventIds: string[] | null;

  @Column({ type: 'text' })
  source: EventSource;

  @Column({ type: 'jsonb' })
  document: Record<string, unknown>;
}
