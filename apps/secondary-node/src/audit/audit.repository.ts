import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type AuditCheckpoint, type AuditRecord, type CheckpointSigner, chain, type UnchainedRecord } from './audit-chain';

/** What an operator (or an enterprise, within its own rows) may filter on. */
export interface AuditFilter {
  from?: Date;
  to?: Date;
  actor?: string;
  /** Exact, or every action under a dotted prefix when it ends in `.*` (`handle.*`). */
  action?: string;
  target?: string;
  owner?: string;
  outcome?: 'ok' | 'refused';
  /** The owners the caller may see (an enterprise: its id and its prefixes); undefined for an operator. */
  scope?: string[];
}

interface RawRecord {
  seq: string;
  at: Date;
  actor: string | null;
  actor_id: string | null;
  role: string | null;
  api_key_id: string | null;
  action: string;
  target: string;
  owner: string | null;
  outcome: 'ok' | 'refused';
  reason: string | null;
  before_digest: string | null;
  after_digest: string | null;
  request_id: string | null;
  client_ip: string | null;
  prev_hash: string;
  hash: string;
}

const SELECT_COLUMNS = `seq::text AS seq, at, actor, actor_id, role, api_key_id, action, target, owner, outcome, reason, before_digest, after_digest, request_id, client_ip, prev_hash, hash`;

/** Every statement on the audit tables. Rows are only ever appended here (and pruned by prune()). */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Appends records inside `manager`'s transaction: the chain head is locked (FOR UPDATE) so the
   * appends of concurrent transactions chain one after another in commit order; the lock is held
   * until that transaction ends, which is why emitters record last, just before they commit. The
   * time is taken under the lock, so it never goes backwards along the chain.
   */
  async append(manager: EntityManager, records: Array<Omit<UnchainedRecord, 'at'>>): Promise<AuditRecord[]> {
    if (records.length === 0) return [];
    const [head]: Array<{ seq: string; hash: string }> = await manager.query(`SELECT seq::text AS seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`);
    const chained = chain(head, records, new Date());
    const last = chained[chained.length - 1];
    // One JSON parameter rather than seventeen arrays: the driver escapes array literals element by
    // element in JavaScript, JSON.stringify is native. The records go as they are (their own field
    // names, declared below), without a copy of every row under the column names.
    await manager.query(
      `WITH added AS (
         INSERT INTO audit_log (seq, at, actor, actor_id, role, api_key_id, action, target, owner, outcome, reason, before_digest, after_digest, request_id, client_ip, prev_hash, hash)
         SELECT seq, at, actor, "actorId", role, "apiKeyId", action, target, owner, outcome, reason, "beforeDigest", "afterDigest", "requestId", "clientIp", "prevHash", hash
           FROM json_to_recordset($1::json) AS r(
             seq bigint, at timestamptz, actor text, "actorId" text, role text, "apiKeyId" text, action text, target text, owner text, outcome text,
             reason text, "beforeDigest" text, "afterDigest" text, "requestId" text, "clientIp" text, "prevHash" text, hash text)
       )
       UPDATE audit_chain_head SET seq = $2, hash = $3 WHERE id = 1`,
      [JSON.stringify(chained), last.seq, last.hash],
    );
    return chained;
  }

  /** Newest first, keyset-paged: rows with seq below `beforeSeq` (the previous page's cursor). */
  async page(filter: AuditFilter, beforeSeq: string | undefined, limit: number): Promise<AuditRecord[]> {
    const { where, params } = whereOf(filter, beforeSeq);
    const rows: RawRecord[] = await this.dataSource.query(`SELECT ${SELECT_COLUMNS} FROM audit_log ${where} ORDER BY audit_log.seq DESC LIMIT $${params.length + 1}`, [...params, limit]);
    return rows.map(toRecord);
  }

  /** The seq of the row after the first `count` matching rows (newest first), if there is one. */
  async seqAfter(filter: AuditFilter, beforeSeq: string | undefined, count: number): Promise<string | undefined> {
    const { where, params } = whereOf(filter, beforeSeq);
    const rows: Array<{ seq: string }> = await this.dataSource.query(
      `SELECT seq::text AS seq FROM audit_log ${where} ORDER BY audit_log.seq DESC OFFSET $${params.length + 1} LIMIT 1`,
      [...params, count],
    );
    return rows[0]?.seq;
  }

  /**
   * What an enterprise may see: rows owned by its id or by one of its prefixes. enterprise_prefixes
   * belongs to the registry, which exports nothing that lists an enterprise's prefixes; this
   * read-only query lives here for that reason (as in traceability's capture-job repository).
   */
  async ownersOfEnterprise(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ prefix_key: string }> = await this.dataSource.query(`SELECT prefix_key FROM enterprise_prefixes WHERE enterprise_id = $1`, [enterpriseId]);
    return [enterpriseId, ...rows.map((row) => row.prefix_key)];
  }

  /**
   * Removes up to `maxRows` of the oldest rows written before `cutoff` (always a run from the start
   * of the chain) and, in the same transaction, leaves a checkpoint signed with the node secret
   * naming the last row removed, so the chain stays verifiable from there. One replica prunes at
   * a time (advisory lock); undefined when another is pruning or nothing is due.
   */
  async prune(cutoff: Date, maxRows: number, signer: CheckpointSigner): Promise<{ pruned: number; checkpoint: AuditCheckpoint } | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [lock]: Array<{ locked: boolean }> = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext('idis-audit-prune')) AS locked`);
      if (!lock.locked) return undefined;
      const through: Array<{ seq: string; hash: string }> = await manager.query(
        `WITH oldest AS (SELECT seq, at, hash FROM audit_log ORDER BY seq LIMIT $2)
         SELECT seq::text AS seq, hash FROM oldest
          WHERE seq < coalesce((SELECT min(seq) FROM oldest WHERE at >= $1), 9223372036854775807)
          ORDER BY oldest.seq DESC LIMIT 1`,
        [cutoff, maxRows],
      );
      if (through.length === 0) return undefined;
      await manager.query(`SELECT set_config('idis.audit_prune', 'on', true)`);
      const [, pruned]: [unknown, number] = await manager.query(`DELETE FROM audit_log WHERE seq <= $1`, [through[0].seq]);
      const unsigned = { throughSeq: through[0].seq, throughHash: through[0].hash, createdAt: new Date() };
      const checkpoint = { ...unsigned, signature: signer.sign(unsigned) };
      await manager.query(`INSERT INTO audit_checkpoints (through_seq, through_hash, created_at, signature) VALUES ($1, $2, $3, $4)`, [
        checkpoint.throughSeq,
        checkpoint.throughHash,
        checkpoint.createdAt,
        checkpoint.signature,
      ]);
      return { pruned, checkpoint };
    });
  }
}

function whereOf(filter: AuditFilter, beforeSeq: string | undefined): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (beforeSeq !== undefined) add((p) => `seq < ${p}::bigint`, beforeSeq);
  if (filter.scope !== undefined) add((p) => `owner = ANY(${p}::text[])`, filter.scope);
  if (filter.from) add((p) => `at >= ${p}`, filter.from);
  if (filter.to) add((p) => `at < ${p}`, filter.to);
  if (filter.actor !== undefined) add((p) => `actor = ${p}`, filter.actor);
  if (filter.action !== undefined) {
    // LIKE with the prefix's own % _ \ escaped: the (action text_pattern_ops, seq) index serves it.
    if (filter.action.endsWith('.*')) add((p) => `action LIKE ${p}`, `${filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    else add((p) => `action = ${p}`, filter.action);
  }
  if (filter.target !== undefined) add((p) => `target = ${p}`, filter.target);
  if (filter.owner !== undefined) add((p) => `owner = ${p}`, filter.owner);
  if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** A row as read back (column names) as a record. */
export function toRecord(row: RawRecord): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    actorId: row.actor_id,
    role: row.role,
    apiKeyId: row.api_key_id,
    action: row.action,
    target: row.target,
    owner: row.owner,
    outcome: row.outcome,
    reason: row.reason,
    beforeDigest: row.before_digest,
    afterDigest: row.after_digest,
    requestId: row.request_id,
    clientIp: row.client_ip,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export { type RawRecord, SELECT_COLUMNS };
