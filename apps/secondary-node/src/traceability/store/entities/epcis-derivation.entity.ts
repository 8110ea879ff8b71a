import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

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
}
