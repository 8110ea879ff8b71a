import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Sequence numbers of a node's reports or heartbeats that never arrived. */
@Entity({ name: 'sequence_gaps' })
@Check('ck_sequence_gaps_stream', `"stream" IN ('report', 'heartbeat')`)
@Check('ck_sequence_gaps_range', `"first_missing" <= "last_missing"`)
@Index('ix_sequence_gaps_node_detected_at', ['nodeId', 'detectedAt'])
export class SequenceGapEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_sequence_gaps' })
  id: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @Column({ type: 'varchar', length: 16 })
  stream: 'report' | 'heartbeat';

  @Column({ name: 'first_missing', type: 'bigint' })
  firstMissing: string;

  @Column({ name: 'last_missing', type: 'bigint' })
  lastMissing: string;

  @Column({ name: 'detected_at', type: 'timestamptz', default: () => 'now()' })
  detectedAt: Date;
}
