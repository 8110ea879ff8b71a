import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { EpcisEventIdEntity } from './epcis-event-id.entity';

/** Derivation from TransformationEvents: output was made from input (every input × output pair). */
@Entity({ name: 'epcis_derivations' })
export class EpcisDerivationEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_epcis_derivations' })
  input: string;

  @Index('ix_epcis_derivations_output')
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_epcis_derivations' })
  output: string;

  @PrimaryColumn({ name: 'event_id', type: 'text', primaryKeyConstraintName: 'pk_epcis_derivations' })
  eventId: string;

  @Column({ name: 'event_time', type: 'timestamptz' })
  eventTime: Date;

  @ManyToOne(() => EpcisEventIdEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id', referencedColumnName: 'eventId', foreignKeyConstraintName: 'fk_epcis_derivations_event' })
  event?: EpcisEventIdEntity;
}
