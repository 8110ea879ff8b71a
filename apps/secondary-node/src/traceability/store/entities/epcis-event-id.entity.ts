import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';

/**
 * The id of every stored EPCIS event, one narrow unpartitioned row each (migration
 * EventsByRecordTime1797300000000): epcis_events is partitioned by record time, so the keys that
 * hold across all of it live here, and the event store writes the id before the event. event_id is
 * unique node-wide (pk_epcis_event_ids: the same eventID from another enterprise is refused) and is
 * what the edges name (without a foreign key since EdgesWithoutForeignKeys1797400000000); the
 * owner's key (uq_epcis_event_ids_owner) is the arbiter that makes a redelivery a duplicate.
 * record_time is the event's, so it names the partition that holds the event. Deleting an id
 * deletes its event and its edges (the statement trigger tr_epcis_event_ids_delete_events).
 */
@Entity({ name: 'epcis_event_ids' })
@Unique('uq_epcis_event_ids_owner', ['enterprisePrefix', 'eventId'])
export class EpcisEventIdEntity {
  @PrimaryColumn({ name: 'event_id', type: 'text', primaryKeyConstraintName: 'pk_epcis_event_ids' })
  eventId: string;

  @Column({ name: 'enterprise_prefix', type: 'text' })
  enterprisePrefix: string;

  @Column({ name: 'record_time', type: 'timestamptz', default: () => 'now()' })
  recordTime: Date;
}
