import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Running totals of the ingestion path ('stored', 'duplicates', 'error_declarations', 'rejected'),
 * updated with an additive upsert in the transaction that did the work, so they are exact across
 * replicas and restarts and the status endpoint never counts the event table.
 */
@Entity({ name: 'ingestion_counters' })
export class IngestionCounterEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_ingestion_counters' })
  name: string;

  /** bigint: node-postgres returns it as a string. */
  @Column({ type: 'bigint' })
  value: string;
}
