import type { ClientBase } from 'pg';
import { type AuditCheckpoint, type AuditRecord, type ChainReport, type CheckpointSigner, verifyChain } from './audit-chain';
import { type RawRecord, SELECT_COLUMNS, toRecord } from './audit.repository';

const PAGE_ROWS = 5000;

/**
 * Verifies the whole audit chain of a database (npm run audit:verify): the latest checkpoint's
 * signature, then every row after it. Runs in one REPEATABLE READ, read-only transaction, so
 * appends committed meanwhile neither break nor extend the walk.
 */
export async function verifyAuditChain(client: ClientBase, signer: CheckpointSigner | null): Promise<ChainReport> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const head = (await client.query<{ seq: string; hash: string }>(`SELECT seq::text AS seq, hash FROM audit_chain_head WHERE id = 1`)).rows[0];
    const checkpointRows = await client.query<{ through_seq: string; through_hash: string; created_at: Date; signature: string }>(
      `SELECT through_seq::text AS through_seq, through_hash, created_at, signature FROM audit_checkpoints ORDER BY audit_checkpoints.through_seq DESC LIMIT 1`,
    );
    const raw = checkpointRows.rows[0];
    const checkpoint: AuditCheckpoint | null = raw ? { throughSeq: raw.through_seq, throughHash: raw.through_hash, createdAt: raw.created_at, signature: raw.signature } : null;
    return await verifyChain(rowsAfter(client, checkpoint?.throughSeq ?? '0'), head, checkpoint, signer);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function* rowsAfter(client: ClientBase, seq: string): AsyncGenerator<AuditRecord> {
  let after = seq;
  for (;;) {
    const page = await client.query<RawRecord>(`SELECT ${SELECT_COLUMNS} FROM audit_log WHERE seq > $1::bigint ORDER BY audit_log.seq LIMIT ${PAGE_ROWS}`, [after]);
    for (const row of page.rows) yield toRecord(row);
    if (page.rows.length < PAGE_ROWS) return;
    after = page.rows[page.rows.length - 1].seq;
  }
}
