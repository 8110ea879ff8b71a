import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { hkdfSha256Key } from '@idis/runtime';

/** The prev_hash of the first row ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/** One stored row of the audit log. `seq` is a decimal string (bigint). */
export interface AuditRecord {
  seq: string;
  at: Date;
  actor: string | null;
  actorId: string | null;
  role: string | null;
  apiKeyId: string | null;
  action: string;
  target: string;
  owner: string | null;
  outcome: 'ok' | 'refused';
  reason: string | null;
  beforeDigest: string | null;
  afterDigest: string | null;
  requestId: string | null;
  clientIp: string | null;
  prevHash: string;
  hash: string;
}

export type UnchainedRecord = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/** Column widths: a value is clipped to them before it is hashed, so what is stored is what was hashed. */
export const AUDIT_FIELD_LIMITS = {
  actor: 128,
  actorId: 64,
  role: 16,
  apiKeyId: 64,
  action: 64,
  target: 512,
  owner: 128,
  reason: 200,
  requestId: 128,
  clientIp: 64,
} as const;

/**
 * Text as PostgreSQL will store it: no NUL (text cannot hold it), no unpaired surrogate (UTF-8
 * cannot), at most `max` characters (code points, as varchar counts them).
 */
export function clip(text: string, max: number): string {
  // Most text (handles, ids, addresses) has neither a NUL nor a surrogate: one test, no copies.
  if (text.length <= max && !NEEDS_CLEANING.test(text)) return text;
  const clean = text.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  if (clean.length <= max) return clean;
  return Array.from(clean).slice(0, max).join('');
}

const NEEDS_CLEANING = /[\u0000\uD800-\uDFFF]/;

/**
 * JSON with object keys sorted at every level, so equal values always give equal digests. Written
 * straight to text (no sorted copy of the value is built): a 2,000-item batch digests every item.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    return JSON.stringify(value) ?? 'null';
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) text += ',';
      const item = value[i];
      text += item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item);
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined || typeof item === 'function') continue;
    text += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return `${text}}`;
}

/** SHA-256 of the canonical JSON of a before/after state; null when there is none (a create has no before). */
export function stateDigest(value: unknown): string | null {
  if (value === undefined) return null;
  return sha256(isCanonical(value, 0) ? JSON.stringify(value) : canonicalJson(value));
}

/**
 * Whether JSON.stringify already writes `value` as canonicalJson does: plain objects whose keys
 * are in sorted order (as the registry builds stored values), arrays, and JSON primitives. A check
 * without building anything, then the native stringify: a 2,000-item batch digests every item.
 */
function isCanonical(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth > 32) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) if (!isCanonical(value[i], depth + 1)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key in record) {
    if (previous !== undefined && !(previous < key)) return false;
    if (!isCanonical(record[key], depth + 1)) return false;
    previous = key;
  }
  return true;
}

/** Hex SHA-256 of the UTF-8 text (one-shot: no Hash object per call, and a batch digests thousands). */
export function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}

/** The hash a row stores: its content and the previous row's hash, in a fixed order. */
export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  return sha256(
    JSON.stringify([
      record.seq,
      record.at.toISOString(),
      record.actor,
      record.actorId,
      record.role,
      record.apiKeyId,
      record.action,
      record.target,
      record.owner,
      record.outcome,
      record.reason,
      record.beforeDigest,
      record.afterDigest,
      record.requestId,
      record.clientIp,
      record.prevHash,
    ]),
  );
}

/**
 * Chains new records after the head (seq, hash): numbers them, stamps them with `at` (one append,
 * one time) and hashes each onto the one before. Each row is built once, field by field.
 */
export function chain(head: { seq: string; hash: string }, records: ReadonlyArray<Omit<UnchainedRecord, 'at'>>, at: Date): AuditRecord[] {
  let seq = BigInt(head.seq);
  let prevHash = head.hash;
  const chained: AuditRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i];
    seq += 1n;
    const row: AuditRecord = {
      seq: seq.toString(),
      at,
      actor: record.actor,
      actorId: record.actorId,
      role: record.role,
      apiKeyId: record.apiKeyId,
      action: record.action,
      target: record.target,
      owner: record.owner,
      outcome: record.outcome,
      reason: record.reason,
      beforeDigest: record.beforeDigest,
      afterDigest: record.afterDigest,
      requestId: record.requestId,
      clientIp: record.clientIp,
      prevHash,
      hash: '',
    };
    row.hash = recordHash(row);
    prevHash = row.hash;
    chained[i] = row;
  }
  return chained;
}

/** A checkpoint left by pruning: the last pruned row's seq and hash, signed with the node secret. */
export interface AuditCheckpoint {
  throughSeq: string;
  throughHash: string;
  createdAt: Date;
  signature: string;
}

/** Signs and checks checkpoints: HMAC-SHA256 under a key derived (HKDF) from the node secret. */
export class CheckpointSigner {
  private readonly key: Buffer;

  constructor(nodeSecret: string) {
    this.key = hkdfSha256Key(nodeSecret, 'idis-secondary-node', 'audit-checkpoint-v1');
  }

  sign(checkpoint: Omit<AuditCheckpoint, 'signature'>): string {
    return createHmac('sha256', this.key).update(`audit-checkpoint-v1\n${checkpoint.throughSeq}\n${checkpoint.throughHash}\n${checkpoint.createdAt.toISOString()}`).digest('hex');
  }

  verify(checkpoint: AuditCheckpoint): boolean {
    const expected = Buffer.from(this.sign(checkpoint), 'hex');
    const given = Buffer.from(checkpoint.signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

export type ChainProblem =
  | { kind: 'checkpoint-signature'; throughSeq: string }
  | { kind: 'missing-rows'; expectedSeq: string; foundSeq: string }
  | { kind: 'broken-link'; seq: string }
  | { kind: 'altered-row'; seq: string }
  | { kind: 'head-mismatch'; headSeq: string; lastSeq: string };

export interface ChainReport {
  ok: boolean;
  rowsChecked: number;
  firstSeq: string | null;
  lastSeq: string | null;
  checkpoint: string | null;
  problem?: ChainProblem;
}

/**
 * Walks the chain in seq order from the latest checkpoint (or the genesis): every row must follow
 * the one before (no gap: a deleted row), link to its hash (a row moved or replaced) and hash to
 * what it stores (an altered row); the head must name the last row (rows deleted at the end). The
 * first problem stops the walk.
 */
export async function verifyChain(
  rows: AsyncIterable<AuditRecord>,
  head: { seq: string; hash: string },
  checkpoint: AuditCheckpoint | null,
  signer: CheckpointSigner | null,
): Promise<ChainReport> {
  const report: ChainReport = { ok: false, rowsChecked: 0, firstSeq: null, lastSeq: null, checkpoint: checkpoint?.throughSeq ?? null };
  if (checkpoint && (!signer || !signer.verify(checkpoint))) {
    return { ...report, problem: { kind: 'checkpoint-signature', throughSeq: checkpoint.throughSeq } };
  }
  let expectedSeq = checkpoint ? BigInt(checkpoint.throughSeq) + 1n : 1n;
  let expectedPrev = checkpoint ? checkpoint.throughHash : GENESIS_HASH;
  for await (const row of rows) {
    if (BigInt(row.seq) !== expectedSeq) return { ...report, problem: { kind: 'missing-rows', expectedSeq: expectedSeq.toString(), foundSeq: row.seq } };
    if (row.prevHash !== expectedPrev) return { ...report, problem: { kind: 'broken-link', seq: row.seq } };
    if (recordHash(row) !== row.hash) return { ...report, problem: { kind: 'altered-row', seq: row.seq } };
    report.rowsChecked += 1;
    report.firstSeq ??= row.seq;
    report.lastSeq = row.seq;
    expectedSeq += 1n;
    expectedPrev = row.hash;
  }
  const lastSeq = (expectedSeq - 1n).toString();
  if (head.seq !== lastSeq || head.hash !== expectedPrev) {
    return { ...report, problem: { kind: 'head-mismatch', headSeq: head.seq, lastSeq } };
  }
  return { ...report, ok: true };
}

export function describeProblem(problem: ChainProblem): string {
  switch (problem.kind) {
    case 'checkpoint-signature':
      return `the checkpoint through row ${problem.throughSeq} is not signed with this node's secret (forged, or JWT_SECRET changed)`;
    case 'missing-rows':
      return `row ${problem.expectedSeq} is missing (the next row found is ${problem.foundSeq}): rows were deleted`;
    case 'broken-link':
      return `row ${problem.seq} does not link to the hash of the row before it: a row was replaced or removed`;
    case 'altered-row':
      return `row ${problem.seq} does not hash to the hash it stores: it was altered`;
    case 'head-mismatch':
      return `the chain head names row ${problem.headSeq} but the last row is ${problem.lastSeq}: rows were deleted at the end`;
  }
}
