import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';
import type { EndpointRecord } from './endpoints';

/**
 * An enrolled secondary node: the secondary prefix it holds, its current credential (only the
 * latest key works: re-enrolment rotates it) and what its latest heartbeat said.
 */
@Entity({ name: 'nodes' })
@Unique('uq_nodes_prefix_key', ['prefixKey'])
export class NodeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_nodes' })
  nodeId: string;

  /** As the node asked for it, e.g. "88.118". */
  @Column({ name: 'secondary_prefix', type: 'varchar', length: 64 })
  secondaryPrefix: string;

  /** ASCII-lower-cased secondary prefix: one node per prefix. */
  @Column({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C' })
  prefixKey: string;

  /** From enrolment, replaced by the endpoints of the latest heartbeat that carried any. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  endpoints: EndpointRecord[];

  @Column({ name: 'software_version', type: 'varchar', length: 128, default: '' })
  softwareVersion: string;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId: string;

  /** The HMAC secret, "sealed:v1:…" (AES-256-GCM under TOP_LEVEL_SECRET) or "plain:…" (see secret-box.ts). */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed: string;

  @Column({ name: 'credentials_issued_at', type: 'timestamptz' })
  credentialsIssuedAt: Date;

  @Column({ name: 'enrolled_at', type: 'timestamptz', default: () => 'now()' })
  enrolledAt: Date;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz', nullable: true })
  lastHeartbeatAt: Date | null;

  /** "ok", "degraded" or "down", as the node reported it. */
  @Column({ name: 'heartbeat_status', type: 'varchar', length: 16, nullable: true })
  heartbeatStatus: string | null;

  @Column({ name: 'outbox_depth', type: 'bigint', default: 0 })
  outboxDepth: string;

  @Column({ name: 'last_heartbeat_sequence', type: 'bigint', nullable: true })
  lastHeartbeatSequence: string | null;

  @Column({ name: 'last_report_sequence', type: 'bigint', nullable: true })
  lastReportSequence: string | null;

  @Column({ name: 'heartbeat_missing_total', type: 'bigint', default: 0 })
  heartbeatMissingTotal: string;

  @Column({ name: 'report_missing_total', type: 'bigint', default: 0 })
  reportMissingTotal: string;
}
