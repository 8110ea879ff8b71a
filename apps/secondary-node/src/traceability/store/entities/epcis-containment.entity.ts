import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Containment changes from AggregationEvents: parent gained (ADD) or lost (DELETE) child at event_time. */
@Entity({ name: 'epcis_containment' })
export class EpcisContainmentEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_epcis_containment' })
  parent: string;

  @Index('ix_epcis_containment_child')
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_epcis_containment' })
  child: string;

  @PrimaryColumn({ name: 'event_id', type: 'text', primaryKeyConstraintName: 'pk_epcis_containment' })
  eventId: string;

  @Column({ type: 'text' })
  action: 'ADD' | 'DELETE';

  @Column({ name: 'event_time', type: 'timestamptz' })
  eventTime: Date;
}
