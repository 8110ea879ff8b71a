import { Entity, Index, PrimaryColumn } from 'typeorm';

/** Edge (identifier, event, role): every identifier an event mentions, in canonical form. */
@Entity({ name: 'epcis_event_identifiers' })
export class EpcisEventIdentifierEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_epcis_event_identifiers' })
  identifier: string;

  @Index('ix_epcis_event_identifiers_event')
  @PrimaryColumn({ name: 'event_id', type: 'text', primaryKeyConstraintName: 'pk_epcis_event_identifiers' })
  eventId: string;

  /** epc, parent, child, input, output, quantity, childQuantity, inputQuantity, outputQuantity */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_epcis_event_identifiers' })
  role: string;
}
