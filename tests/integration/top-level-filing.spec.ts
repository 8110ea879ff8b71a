import { status } from '@grpc/grpc-js';
import { FilingOperation, FilingStatus } from '@idis/contracts';
import { waitFor } from '../support/wait-for';
import { type Credentials, enterprise, failureOf, TopLevelHarness } from './top-level-harness';

async function fingerprint(top: TopLevelHarness): Promise<string> {
  const parts: string[] = [];
  for (const table of ['filings', 'filing_transactions', 'review_messages']) {
    const row = (await top.db.client.query(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM ${table} t`)).rows[0];
    parts.push(`${table}:${row.d}`);
  }
  return parts.join(',');
}

/** Polls until the node's queue has a message, then returns it (the queue is left as it is). */
function nextReview(top: TopLevelHarness, node: Credentials) {
  return waitFor('a review message', async () => {
    const reply = await top.client.signed(node, 'PrefixFiling', 'Poll', {});
    return reply.message ? reply : undefined;
  }, { timeoutMs: 15_000, failOnError: true });
}

describe('top-level node: filing with automatic review', () => {
  let top: TopLevelHarness;
  let node: Credentials;
  let other: Credentials;

  beforeAll(async () => {
    top = await TopLevelHarness.start({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '200', FILING_REVIEW_SWEEP_INTERVAL_MS: '100' });
    node = await top.client.enrol('node-88.118', '88.118', [{ kind: 'proxy', url: 'http://127.0.0.1:18080' }]);
    other = await top.client.enrol('node-88.200', '88.200', [{ kind: 'proxy', url: 'http://127.0.0.1:28080' }]);
  });

  afterAll(async () => {
    await top?.stop();
  });

  it('answers create PENDING at once, approves it after the delay and queues the outcome', async () => {
    const check = await top.client.signed(node, 'PrefixFiling', 'Check', { prefixes: ['88.118.8', '88.200.1', '88.118..x', '88.118.9'] });
    expect(check.results).toEqual([
      { prefix: '88.118.8', available: true, reason: '' },
      { prefix: '88.200.1', available: false, reason: 'outside-your-prefix' },
      { prefix: '88.118..x', available: false, reason: 'invalid' },
      { prefix: '88.118.9', available: true, reason: '' },
    ]);
    const receipt = await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-1', prefix: '88.118.8', enterprise: enterprise() });
    expect(receipt).toMatchObject({ clientTransactionId: 'tx-1', prefix: '88.118.8', operation: FilingOperation.FILING_OPERATION_CREATE, status: FilingStatus.FILING_STATUS_PENDING, replayed: false });
    expect(receipt.serverTransactionId).toMatch(/^[0-9a-f-]{36}$/);
    const pending = await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.8' });
    expect(pending.status).toBe(FilingStatus.FILING_STATUS_PENDING);
    expect((await top.client.signed(node, 'PrefixFiling', 'Check', { prefixes: ['88.118.8'] })).results[0]).toEqual({ prefix: '88.118.8', available: false, reason: 'pending' });

    const polled = await nextReview(top, node);
    expect(polled.queueCount).toBe(1);
    expect(polled.message).toMatchObject({
      clientTransactionId: 'tx-1',
      serverTransactionId: receipt.serverTransactionId,
      prefix: '88.118.8',
      operation: FilingOperation.FILING_OPERATION_CREATE,
      outcome: FilingStatus.FILING_STATUS_APPROVED,
    });
    const info = await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.8' });
    expect(info).toMatchObject({ prefix: '88.118.8', nodeId: 'node-88.118', status: FilingStatus.FILING_STATUS_APPROVED, enterprise: enterprise() });
    expect(info.updatedAtMs).toBeGreaterThanOrEqual(info.createdAtMs);
    expect((await top.client.signed(node, 'PrefixFiling', 'Check', { prefixes: ['88.118.8'] })).results[0].reason).toBe('filed');

    // Poll does not remove; Ack does, once.
    expect((await top.client.signed(node, 'PrefixFiling', 'Poll', {})).message.messageId).toBe(polled.message.messageId);
    expect(await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: polled.message.messageId })).toEqual({ queueCount: 0, removed: true });
    expect(await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: polled.message.messageId })).toEqual({ queueCount: 0, removed: false });
    expect(await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: 'not-a-uuid' })).toEqual({ queueCount: 0, removed: false });
    const empty = await top.client.signed(node, 'PrefixFiling', 'Poll', {});
    expect(empty.queueCount).toBe(0);
    expect(empty.message ?? undefined).toBeUndefined();
  });

  it('replays a repeated client transaction id with the first receipt and no second effect', async () => {
    const first = await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-2', prefix: '88.118.20', enterprise: enterprise('First Co.') });
    const before = (await top.db.client.query(`SELECT count(*) FROM filing_transactions`)).rows[0].count;
    const again = await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-2', prefix: '88.118.20', enterprise: enterprise('First Co.') });
    expect(again).toEqual({ ...first, replayed: true });
    // Even a different body under the same id answers as the first call did.
    const different = await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-2', prefix: '88.118.21', enterprise: enterprise('Other Co.') });
    expect(different).toEqual({ ...first, replayed: true });
    expect((await top.db.client.query(`SELECT count(*) FROM filing_transactions`)).rows[0].count).toBe(before);
    expect((await top.db.client.query(`SELECT count(*) FROM filings WHERE prefix_key = '88.118.21'`)).rows[0].count).toBe('0');
    // Only one review message comes of it.
    const review = await nextReview(top, node);
    expect(review.message.clientTransactionId).toBe('tx-2');
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: review.message.messageId });
    expect((await top.db.client.query(`SELECT count(*) FROM review_messages WHERE client_transaction_id = 'tx-2'`)).rows[0].count).toBe('0');
  });

  it('refuses prefixes outside the caller’s secondary prefix, duplicates and bad input, changing nothing', async () => {
    const before = await fingerprint(top);
    const outside = await failureOf(top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-x1', prefix: '88.200.5', enterprise: enterprise() }));
    expect(outside.code).toBe(status.PERMISSION_DENIED);
    const ownSecondary = await failureOf(top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-x2', prefix: '88.118', enterprise: enterprise() }));
    expect(ownSecondary.code).toBe(status.PERMISSION_DENIED);
    const lookalike = await failureOf(top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-x3', prefix: '88.1180.1', enterprise: enterprise() }));
    expect(lookalike.code).toBe(status.PERMISSION_DENIED);
    const infoOutside = await failureOf(top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.200.5' }));
    expect(infoOutside.code).toBe(status.PERMISSION_DENIED);
    const duplicate = await failureOf(top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-x4', prefix: '88.118.8', enterprise: enterprise() }));
    expect(duplicate.code).toBe(status.ALREADY_EXISTS);
    const invalidCases = [
      { clientTransactionId: '', prefix: '88.118.30', enterprise: enterprise() },
      { clientTransactionId: 'has space', prefix: '88.118.30', enterprise: enterprise() },
      { clientTransactionId: 'tx-x5', prefix: '88.118..30', enterprise: enterprise() },
      { clientTransactionId: 'tx-x6', prefix: '88.118.30' },
      { clientTransactionId: 'tx-x7', prefix: '88.118.30', enterprise: { ...enterprise(), orgName: '' } },
      { clientTransactionId: 'tx-x8', prefix: '88.118.30', enterprise: { ...enterprise(), orgName: 'x'.repeat(201) } },
    ];
    for (const request of invalidCases) {
      const error = await failureOf(top.client.signed(node, 'PrefixFiling', 'Create', request));
      expect({ request, code: error.code }).toEqual({ request, code: status.INVALID_ARGUMENT });
    }
    const tooMany = await failureOf(top.client.signed(node, 'PrefixFiling', 'Check', { prefixes: Array.from({ length: 101 }, (_, i) => `88.118.${i}`) }));
    expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
    const updateMissing = await failureOf(top.client.signed(node, 'PrefixFiling', 'Update', { clientTransactionId: 'tx-x9', prefix: '88.118.99', enterprise: enterprise() }));
    expect(updateMissing.code).toBe(status.NOT_FOUND);
    const infoMissing = await failureOf(top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.99' }));
    expect(infoMissing.code).toBe(status.NOT_FOUND);
    expect(await fingerprint(top)).toBe(before);
  });

  it('rejects obviously bad input in review with a reason; the prefix may then be filed again', async () => {
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-3', prefix: '88.118.30', enterprise: enterprise('Bad Code Co.', 'ABC') });
    const review = await nextReview(top, node);
    expect(review.message).toMatchObject({ prefix: '88.118.30', outcome: FilingStatus.FILING_STATUS_REJECTED });
    expect(review.message.reason).toMatch(/credit code "ABC"/);
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: review.message.messageId });
    const info = await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.30' });
    expect(info.status).toBe(FilingStatus.FILING_STATUS_REJECTED);
    expect(info.reviewReason).toMatch(/credit code/);
    expect((await top.client.signed(node, 'PrefixFiling', 'Check', { prefixes: ['88.118.30'] })).results[0].available).toBe(true);
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-4', prefix: '88.118.30', enterprise: enterprise('Good Code Co.') });
    const second = await nextReview(top, node);
    expect(second.message).toMatchObject({ clientTransactionId: 'tx-4', outcome: FilingStatus.FILING_STATUS_APPROVED });
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: second.message.messageId });
  });

  it('updates and deletes through review; one operation at a time', async () => {
    await top.client.signed(node, 'PrefixFiling', 'Update', { clientTransactionId: 'tx-5', prefix: '88.118.8', enterprise: enterprise('Renamed Co.') });
    const busy = await failureOf(top.client.signed(node, 'PrefixFiling', 'Delete', { clientTransactionId: 'tx-6', prefix: '88.118.8', reason: 'closing' }));
    expect(busy.code).toBe(status.FAILED_PRECONDITION);
    const updated = await nextReview(top, node);
    expect(updated.message).toMatchObject({ operation: FilingOperation.FILING_OPERATION_UPDATE, outcome: FilingStatus.FILING_STATUS_APPROVED });
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: updated.message.messageId });
    expect((await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.8' })).enterprise.orgName).toBe('Renamed Co.');

    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-7', prefix: '88.118.40', enterprise: enterprise() });
    await nextReview(top, node).then((r) => top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: r.message.messageId }));
    await top.client.signed(node, 'PrefixFiling', 'Delete', { clientTransactionId: 'tx-8', prefix: '88.118.40', reason: 'closing' });
    const deleted = await nextReview(top, node);
    expect(deleted.message).toMatchObject({ operation: FilingOperation.FILING_OPERATION_DELETE, outcome: FilingStatus.FILING_STATUS_DELETED });
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: deleted.message.messageId });
    expect((await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.40' })).status).toBe(FilingStatus.FILING_STATUS_DELETED);
    expect((await top.client.signed(node, 'PrefixResolution', 'Resolve', { prefix: '88.118.40' })).found).toBe(false);
  });

  it('resolves the longest approved prefix, a secondary prefix, and answers not-found with a short TTL', async () => {
    const enterprisePrefix = await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118.8' });
    expect(enterprisePrefix).toEqual({
      found: true,
      prefix: '88.118.8',
      site: { nodeId: 'node-88.118', secondaryPrefix: '88.118', endpoints: [{ kind: 'proxy', url: 'http://127.0.0.1:18080' }] },
      ttlSeconds: 300,
    });
    const deeper = await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118.8.7.1' });
    expect(deeper).toMatchObject({ found: true, prefix: '88.118.8' });
    // A longer filing wins over a shorter one.
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-9', prefix: '88.118.8.7', enterprise: enterprise('Sub Co.') });
    await nextReview(top, node).then((r) => top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: r.message.messageId }));
    expect(await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118.8.7.1' })).toMatchObject({ found: true, prefix: '88.118.8.7' });
    expect(await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118.8.6' })).toMatchObject({ found: true, prefix: '88.118.8' });
    // Case-insensitive prefixes.
    expect(await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118.8' })).toMatchObject({ found: true });

    const secondary = await top.client.signed(node, 'PrefixResolution', 'Resolve', { prefix: '88.200' });
    expect(secondary).toMatchObject({ found: true, prefix: '88.200', site: { nodeId: 'node-88.200', secondaryPrefix: '88.200' } });
    const unknown = await top.client.signed(node, 'PrefixResolution', 'Resolve', { prefix: '88.200.5' });
    expect(unknown).toMatchObject({ found: false, ttlSeconds: 30 });
    expect(unknown.site ?? undefined).toBeUndefined();
    expect(await top.client.signed(node, 'PrefixResolution', 'Resolve', { prefix: '88.999' })).toMatchObject({ found: false });
    const pendingOnly = await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'tx-10', prefix: '88.118.50', enterprise: enterprise() });
    expect(pendingOnly.status).toBe(FilingStatus.FILING_STATUS_PENDING);
    expect(await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118.50' })).toMatchObject({ found: false });
    await nextReview(top, node).then((r) => top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: r.message.messageId }));
    const bad = await failureOf(top.client.signed(node, 'PrefixResolution', 'Resolve', { prefix: '88..1' }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });

  it('keeps each node’s queue to itself, oldest first, with the count of waiting messages', async () => {
    for (const [i, prefix] of ['88.200.1', '88.200.2', '88.200.3'].entries()) {
      await top.client.signed(other, 'PrefixFiling', 'Create', { clientTransactionId: `o-${i}`, prefix, enterprise: enterprise() });
    }
    await waitFor('three reviews', async () => (await top.client.signed(other, 'PrefixFiling', 'Poll', {})).queueCount === 3, { timeoutMs: 15_000, failOnError: true });
    expect((await top.client.signed(node, 'PrefixFiling', 'Poll', {})).queueCount).toBe(0);
    const seen: string[] = [];
    for (let i = 3; i > 0; i -= 1) {
      const polled = await top.client.signed(other, 'PrefixFiling', 'Poll', {});
      expect(polled.queueCount).toBe(i);
      // Another node cannot remove it.
      expect((await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: polled.message.messageId })).removed).toBe(false);
      seen.push(polled.message.clientTransactionId);
      expect(await top.client.signed(other, 'PrefixFiling', 'Ack', { messageId: polled.message.messageId })).toEqual({ queueCount: i - 1, removed: true });
    }
    expect(seen).toEqual(['o-0', 'o-1', 'o-2']);
  });
});

describe('top-level node: manual review and restarts', () => {
  let top: TopLevelHarness;
  let node: Credentials;
  const ADMIN = 'admin-token-0123456789';

  beforeAll(async () => {
    top = await TopLevelHarness.start({ FILING_REVIEW: 'manual', TOP_LEVEL_ADMIN_TOKEN: ADMIN });
    node = await top.client.enrol('node-88.118', '88.118');
  });

  afterAll(async () => {
    await top?.stop();
  });

  it('leaves filings pending until an operator approves or rejects them over HTTP', async () => {
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'm-1', prefix: '88.118.1', enterprise: enterprise() });
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'm-2', prefix: '88.118.2', enterprise: enterprise() });
    const listed = await top.http('GET', '/api/v1/filings?status=pending&nodeId=node-88.118', { token: ADMIN });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((f: { prefix: string }) => f.prefix).sort()).toEqual(['88.118.1', '88.118.2']);
    expect((await top.client.signed(node, 'PrefixFiling', 'Poll', {})).queueCount).toBe(0);

    const unauthenticated = await top.http('POST', '/api/v1/filings/88.118.1/approve');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await top.http('POST', '/api/v1/filings/88.118.1/approve', { token: 'wrong-token-000000' })).status).toBe(403);
    const noReason = await top.http('POST', '/api/v1/filings/88.118.2/reject', { token: ADMIN, body: {} });
    expect(noReason.status).toBe(400);

    const approved = await top.http('POST', '/api/v1/filings/88.118.1/approve', { token: ADMIN });
    expect(approved.status).toBe(200);
    expect(approved.body.filing.status).toBe('approved');
    const rejected = await top.http('POST', '/api/v1/filings/88.118.2/reject', { token: ADMIN, body: { reason: 'documents missing' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body.filing).toMatchObject({ status: 'rejected', reviewReason: 'documents missing' });
    const again = await top.http('POST', '/api/v1/filings/88.118.1/approve', { token: ADMIN });
    expect(again.status).toBe(409);
    expect((await top.http('POST', '/api/v1/filings/88.118.77/approve', { token: ADMIN })).status).toBe(404);
    expect((await top.http('GET', '/api/v1/filings?status=bogus', { token: ADMIN })).status).toBe(400);

    const first = await top.client.signed(node, 'PrefixFiling', 'Poll', {});
    expect(first.queueCount).toBe(2);
    expect(first.message).toMatchObject({ clientTransactionId: 'm-1', outcome: FilingStatus.FILING_STATUS_APPROVED });
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: first.message.messageId });
    const second = await top.client.signed(node, 'PrefixFiling', 'Poll', {});
    expect(second.message).toMatchObject({ clientTransactionId: 'm-2', outcome: FilingStatus.FILING_STATUS_REJECTED, reason: 'documents missing' });
    await top.client.signed(node, 'PrefixFiling', 'Ack', { messageId: second.message.messageId });

    const detail = await top.http('GET', '/api/v1/filings/88.118.2', { token: ADMIN });
    expect(detail.body.transactions[0]).toMatchObject({ clientTransactionId: 'm-2', outcome: 'rejected', reviewReason: 'documents missing' });
  });

  it('reviews a pending filing after a restart in auto mode once its delay has elapsed', async () => {
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'r-1', prefix: '88.118.3', enterprise: enterprise() });
    expect((await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.3' })).status).toBe(FilingStatus.FILING_STATUS_PENDING);
    // Down and up again, now reviewing automatically; no timer of the old process survives.
    await top.restart({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '100', FILING_REVIEW_SWEEP_INTERVAL_MS: '100' });
    const review = await nextReview(top, node);
    expect(review.message).toMatchObject({ clientTransactionId: 'r-1', prefix: '88.118.3', outcome: FilingStatus.FILING_STATUS_APPROVED });
    expect((await top.client.signed(node, 'PrefixFiling', 'Info', { prefix: '88.118.3' })).status).toBe(FilingStatus.FILING_STATUS_APPROVED);
    // The replay of its create after the restart still answers with the first receipt.
    const replay = await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'r-1', prefix: '88.118.3', enterprise: enterprise() });
    expect(replay.replayed).toBe(true);
  });
});
