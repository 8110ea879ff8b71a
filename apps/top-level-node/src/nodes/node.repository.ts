import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { EndpointRecord } from './endpoints';
import { NodeEntity } from './node.entity';

export interface NewCredential {
  nodeId: string;
  secondaryPrefix: string;
  prefixKey: string;
  endpoints: EndpointRecord[];
  softwareVersion: string;
  keyId: string;
  secretSealed: string;
  issuedAt: Date;
}

export type EnrolOutcome = { kind: 'enrolled' | 'rotated' } | { kind: 'prefix-held'; holder: string } | { kind: 'node-has-other-prefix'; prefix: string };

export type SequenceStream = 'report' | 'heartbeat';

/** All SQL on nodes and request nonces. */
@Injectable()
export class NodeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Grants the prefix or rotates the node's credential, in one transaction serialised per prefix and node. */
  async enrol(credential: NewCredential): Promise<EnrolOutcome> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('enrolment'))`);
      const holder = await manager.findOne(NodeEntity, { where: { prefixKey: credential.prefixKey } });
      if (holder && holder.nodeId !== credential.nodeId) return { kind: 'prefix-held', holder: holder.nodeId };
      const existing = await manager.findOne(NodeEntity, { where: { nodeId: credential.nodeId } });
      if (existing && existing.prefixKey !== credential.prefixKey) return { kind: 'node-has-other-prefix', prefix: existing.secondaryPrefix };
      if (existing) {
        await manager.update(NodeEntity, { nodeId: credential.nodeId }, {
          endpoints: credential.endpoints,
          softwareVersion: credential.softwareVersion,
          keyId: credential.keyId,
          secretSealed: credential.secretSealed,
          credentialsIssuedAt: credential.issuedAt,
        });
        return { kind: 'rotated' };
      }
      await manager.insert(NodeEntity, {
        nodeId: credential.nodeId,
        secondaryPrefix: credential.secondaryPrefix,
        prefixKey: credential.prefixKey,
        endpoints: credential.endpoints,
        softwareVersion: credential.softwareVersion,
        keyId: credential.keyId,
        secretSealed: credential.secretSealed,
        credentialsIssuedAt: credential.issuedAt,
      });
      return { kind: 'enrolled' };
    });
  }

  findById(nodeId: string): Promise<NodeEntity | null> {
    return this.dataSource.getRepository(NodeEntity).findOne({ where: { nodeId } });
  }

  findByPrefixKey(prefixKey: string): Promise<NodeEntity | null> {
    return this.dataSource.getRepository(NodeEntity).findOne({ where: { prefixKey } });
  }

  async listPage(offset: number, limit: number): Promise<{ items: NodeEntity[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(NodeEntity).findAndCount({ order: { nodeId: 'ASC' }, skip: offset, take: limit });
    return { items, total };
  }

  /** Remembers a nonce; false when it was already used (a replay). */
  async rememberNonce(nodeId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO request_nonces (node_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [nodeId, nonce, expiresAt],
    );
    return rows.length === 1;
  }

  /** Forgets nonces whose timestamps are outside the skew window anyway; returns how many. */
  async pruneNonces(now: Date): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(`DELETE FROM request_nonces WHERE expires_at < $1`, [now]);
    return result[1];
  }

  /**
   * Records a message of a node's numbered stream: how many numbers were skipped since the last one
   * (a gap is stored), and the new last number. A number at or below the last one means the node
   * started counting again: no gap, and counting continues from it.
   */
  async advanceSequence(manager: EntityManager, nodeId: string, stream: SequenceStream, sequence: number): Promise<number> {
    const column = stream === 'report' ? 'last_report_sequence' : 'last_heartbeat_sequence';
    const total = stream === 'report' ? 'report_missing_total' : 'heartbeat_missing_total';
    const rows: Array<{ last: string | null }> = await manager.query(`SELECT ${column} AS last FROM nodes WHERE node_id = $1 FOR UPDATE`, [nodeId]);
    const last = rows[0]?.last === null || rows[0]?.last === undefined ? undefined : Number(rows[0].last);
    const missing = last !== undefined && sequence > last + 1 ? sequence - last - 1 : 0;
    if (missing > 0) {
      await manager.query(
        `INSERT INTO sequence_gaps (id, node_id, stream, first_missing, last_missing) VALUES (gen_random_uuid(), $1, $2, $3, $4)`,
        [nodeId, stream, last! + 1, sequence - 1],
      );
    }
    await manager.query(`UPDATE nodes SET ${column} = $2, ${total} = ${total} + $3 WHERE node_id = $1`, [nodeId, sequence, missing]);
    return missing;
  }

  async recordHeartbeat(
    nodeId: string,
    heartbeat: { sequence: number; status: string; endpoints: EndpointRecord[]; outboxDepth: number; receivedAt: Date },
  ): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const missing = await this.advanceSequence(manager, nodeId, 'heartbeat', heartbeat.sequence);
      await manager.query(
        `UPDATE nodes SET last_heartbeat_at = $2, heartbeat_status = $3, outbox_depth = $4,
                endpoints = CASE WHEN jsonb_array_length($5::jsonb) > 0 THEN $5::jsonb ELSE endpoints END
          WHERE node_id = $1`,
        [nodeId, heartbeat.receivedAt, heartbeat.status, heartbeat.outboxDepth, JSON.stringify(heartbeat.endpoints)],
      );
      return missing;
    });
  }

  async gapsOf(nodeId: string, limit: number): Promise<Array<{ stream: string; firstMissing: number; lastMissing: number; detectedAt: Date }>> {
    const rows: Array<{ stream: string; first_missing: string; last_missing: string; detected_at: Date }> = await this.dataSource.query(
      `SELECT stream, first_missing, last_missing, detected_at FROM sequence_gaps WHERE node_id = $1 ORDER BY detected_at DESC LIMIT $2`,
      [nodeId, limit],
    );
    return rows.map((r) => ({ stream: r.stream, firstMissing: Number(r.first_missing), lastMissing: Number(r.last_missing), detectedAt: r.detected_at }));
  }
}
