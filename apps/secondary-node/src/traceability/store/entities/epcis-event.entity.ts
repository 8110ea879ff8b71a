import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Where an event came in: the MQTT consumer or POST /epcis/capture. */
export type EventSource = 'mqtt' | 'capture';

/**
 * One EPCIS event: the columns queries filter on, plus the document as received (with eventID
 * filled in when the node computed it). event_id is the publisher's eventID or the CBV 2.0 hash ID.
 * The table is partitioned by month of record_time (migration EventsByRecordTime1797300000000), so
 * its primary key carries record_time; the keys over all of it are those of the event's id in
 * epcis_event_ids, written first: a redelivered copy from the same enterprise meets its owner's key
 * there and is a duplicate, the same eventID from another enterprise is refused (pk_epcis_event_ids),
 * so an eventID still names one event for readers and edges. Deleting the id deletes the event
 * (a trigger on epcis_event_ids) and its edges.
 * An error declaration does not get a row of its own: it fills the error_* columns of its original.
 */
@Entity({ name: 'epcis_events' })
@Index('ix_epcis_events_prefix_time', ['enterprisePrefix', 'eventTime', 'eventId'])
@Index('ix_epcis_events_time', ['eventTime', 'eventId'])
@Index('ix_epcis_events_record_time', ['recordTime'])
export class EpcisEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'text', primaryKeyConstraintName: 'pk_epcis_events' })
  eventId: string;

  /** The partition key: when the node stored the event (the same instant as its id's record_time). */
  @PrimaryColumn({ name: 'record_time', type: 'timestamptz', default: () => 'now()', primaryKeyConstraintName: 'pk_epcis_events' })
  recordTime: Date;

  /** The owning enterprise: the prefix of the MQTT topic, or the capturing enterprise's prefix. */
  @Column({ name: 'enterprise_prefix', type: 'text' })
  enterprisePrefix: string;

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
