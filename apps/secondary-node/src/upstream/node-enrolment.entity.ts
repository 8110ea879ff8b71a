import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * This node's standing with the top-level node: the credentials it was given at enrolment (the
 * secret sealed with the node secret) and the per-node counters every replica shares.
 */
@Entity({ name: 'node_enrolment' })
export class NodeEnrolmentEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_node_enrolment' })
  nodeId: string;

  /** The top level that issued the credentials; enrolling with another one starts afresh. */
  @Column({ name: 'top_level_url', type: 'varchar', length: 300 })
  topLevelUrl: string;

  @Column({ name: 'assigned_prefix', type: 'varchar', length: 64 })
  assignedPrefix: string;

  @Column({ name: 'key_id', type: 'varchar', length: 128 })
  keyId: string;

  /** AES-256-GCM under a key derived from the node secret (auth/secret-sealer.ts). */
  @Column({ name: 'secret_sealed', type: 'varchar', length: 255 })
  secretSealed: string;

  @Column({ name: 'enrolled_at', type: 'timestamptz' })
  enrolledAt: Date;

  /** Last sequence number given to a statistics report / a heartbeat (bigint: a string from pg). */
  @Column({ name: 'report_sequence', type: 'bigint', default: 0 })
  reportSequence: string;

  @Column({ name: 'heartbeat_sequence', type: 'bigint', default: 0 })
  heartbeatSequence: string;

  /** End of the last period put into a statistics report (exclusive). */
  @Column({ name: 'reported_until', type: 'timestamptz', nullable: true })
  reportedUntil: Date | null;

  @Column({ name: 'last_heartbeat_ack_at', type: 'timestamptz', nullable: true })
  lastHeartbeatAckAt: Date | null;
}
