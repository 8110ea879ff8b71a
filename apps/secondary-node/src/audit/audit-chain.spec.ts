import { type AuditRecord, canonicalJson, chain, CheckpointSigner, clip, GENESIS_HASH, recordHash, sha256, stateDigest, type UnchainedRecord, verifyChain } from './audit-chain';

const AT = new Date('2026-12-05T08:00:00.123Z');

function entry(action: string): Omit<UnchainedRecord, 'at'> {
  return {
    actor: 'ent-a',
    actorId: '3f1c2d34-0000-4000-8000-000000000001',
    role: 'enterprise',
    apiKeyId: null,
    action,
    target: '88.118.8/abc',
    owner: '88.118.8',
    outcome: 'ok',
    reason: null,
    beforeDigest: null,
    afterDigest: stateDigest([{ index: 1, type: 'URL' }]),
    requestId: 'req-1',
    clientIp: '127.0.0.1',
  };
}

async function* rowsOf(records: AuditRecord[]): AsyncGenerator<AuditRecord> {
  yield* records;
}

const GENESIS = { seq: '0', hash: GENESIS_HASH };

function headOf(records: AuditRecord[]) {
  const last = records[records.length - 1];
  return { seq: last.seq, hash: last.hash };
}

describe('the audit hash chain', () => {
  const records = chain(GENESIS, [entry('handle.create'), entry('handle.update'), entry('handle.delete'), entry('grant.create')], AT);

  it('numbers the rows after the head and links each to the hash of the one before', () => {
    expect(records.map((r) => r.seq)).toEqual(['1', '2', '3', '4']);
    expect(records[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i += 1) expect(records[i].prevHash).toBe(records[i - 1].hash);
    for (const record of records) expect(recordHash(record)).toBe(record.hash);
    // Continuing from a head gives the same rows as chaining everything at once.
    const continued = chain(headOf(records.slice(0, 2)), [entry('handle.delete'), entry('grant.create')], AT);
    expect(continued).toEqual(records.slice(2));
  });

  it('verifies an intact chain, and an empty one', async () => {
    await expect(verifyChain(rowsOf(records), headOf(records), null, null)).resolves.toMatchObject({ ok: true, rowsChecked: 4, firstSeq: '1', lastSeq: '4' });
    await expect(verifyChain(rowsOf([]), GENESIS, null, null)).resolves.toMatchObject({ ok: true, rowsChecked: 0 });
  });

  it('finds a deleted row, an altered row, a replaced row and rows deleted at the end', async () => {
    const withoutSecond = [records[0], ...records.slice(2)];
    await expect(verifyChain(rowsOf(withoutSecond), headOf(records), null, null)).resolves.toMatchObject({ ok: false, problem: { kind: 'missing-rows', expectedSeq: '2', foundSeq: '3' } });

    const altered = records.map((r) => (r.seq === '3' ? { ...r, actor: 'someone-else' } : r));
    await expect(verifyChain(rowsOf(altered), headOf(records), null, null)).resolves.toMatchObject({ ok: false, rowsChecked: 2, problem: { kind: 'altered-row', seq: '3' } });

    // Re-hashed after the change, so the row itself is consistent: the next row's link gives it away.
    const rehashed = altered.map((r) => (r.seq === '3' ? { ...r, hash: recordHash(r) } : r));
    await expect(verifyChain(rowsOf(rehashed), headOf(records), null, null)).resolves.toMatchObject({ ok: false, problem: { kind: 'broken-link', seq: '4' } });

    await expect(verifyChain(rowsOf(records.slice(0, 3)), headOf(records), null, null)).resolves.toMatchObject({ ok: false, problem: { kind: 'head-mismatch', headSeq: '4', lastSeq: '3' } });
    await expect(verifyChain(rowsOf(records.slice(1)), headOf(records), null, null)).resolves.toMatchObject({ ok: false, problem: { kind: 'missing-rows', expectedSeq: '1', foundSeq: '2' } });
  });

  it('starts from a signed checkpoint after pruning, and refuses a forged or unverifiable one', async () => {
    const signer = new CheckpointSigner('node-secret-that-is-long-enough-000000');
    const unsigned = { throughSeq: '2', throughHash: records[1].hash, createdAt: new Date('2026-12-05T09:00:00Z') };
    const checkpoint = { ...unsigned, signature: signer.sign(unsigned) };
    const rest = records.slice(2);
    await expect(verifyChain(rowsOf(rest), headOf(records), checkpoint, signer)).resolves.toMatchObject({ ok: true, rowsChecked: 2, checkpoint: '2' });

    const otherSecret = new CheckpointSigner('another-secret-that-is-long-enough-0000');
    await expect(verifyChain(rowsOf(rest), headOf(records), checkpoint, otherSecret)).resolves.toMatchObject({ ok: false, problem: { kind: 'checkpoint-signature' } });
    await expect(verifyChain(rowsOf(rest), headOf(records), checkpoint, null)).resolves.toMatchObject({ ok: false, problem: { kind: 'checkpoint-signature' } });
    // A checkpoint moved forward to hide rows no longer matches its signature.
    const moved = { ...checkpoint, throughSeq: '3', throughHash: records[2].hash };
    await expect(verifyChain(rowsOf(records.slice(3)), headOf(records), moved, signer)).resolves.toMatchObject({ ok: false, problem: { kind: 'checkpoint-signature' } });
  });

  it('digests states canonically: key order does not matter, content does; no state, no digest', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(stateDigest({ b: 1, a: 2 })).toBe(stateDigest({ a: 2, b: 1 }));
    expect(stateDigest({ a: 1 })).not.toBe(stateDigest({ a: 2 }));
    expect(stateDigest(undefined)).toBeNull();
    expect(stateDigest(null)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('digests what JSON.stringify already writes canonically (sorted keys) exactly as the canonical writer does, and everything else through it', () => {
    class Shaped {
      toJSON() {
        return 'shaped';
      }
    }
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 2 });
    const values: unknown[] = [
      [{ data: { format: 'string', value: 'x' }, index: 1001, timestamp: '2026-12-07T00:00:00Z', ttl: 86400, type: 'TEMPLATE' }],
      [{ index: 1001, type: 'TEMPLATE', data: { format: 'string', value: 'x' }, ttl: 86400 }],
      { '10': 'ten', '9': 'nine', a: 'letter' },
      { a: undefined, b: 1 },
      { a: () => 1, b: [undefined, () => 2, null] },
      { at: new Date('2026-12-07T01:02:03.004Z'), n: -0, x: Number.NaN, y: Number.POSITIVE_INFINITY },
      { big: 12n },
      { nested: { z: { y: { x: [1, 'two', true, false, null] } } } },
      nullProto,
      { shaped: new Shaped() },
      { 'é': 1, e: 2, 'lone \uD800': 3 },
      'plain text',
      42,
      [],
      {},
    ];
    for (const value of values) expect(stateDigest(value)).toBe(sha256(canonicalJson(value)));
  });

  it('clips text to what PostgreSQL stores: no NUL, no lone surrogate, at most n characters', () => {
    expect(clip('a\u0000b', 10)).toBe('a\uFFFDb');
    expect(clip('x\uD800y', 10)).toBe('x\uFFFDy');
    expect(clip('😀😀😀', 2)).toBe('😀😀');
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('abc');
    expect(clip('a\u0000', 10)).toBe('a\uFFFD');
  });
});
