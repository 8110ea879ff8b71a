import 'reflect-metadata';
import { OutboxWorker } from '../../apps/secondary-node/src/upstream/outbox-worker';
import { applicationBody, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { ENROLMENT_TOKEN, FAST_LINK_ENV, TopLevelUnderTest } from './upstream-harness';

jest.setTimeout(120_000);

const FILED_ELSEWHERE_REASON = 'prefix already filed at the top level by another node';

/** A filing on record at the top level for another node (a previous holder of this secondary prefix). */
async function fileForAnotherNode(top: TopLevelUnderTest, prefix: string, status: 'approved' | 'pending'): Promise<void> {
  await top.db.client.query(`INSERT INTO filings (prefix_key, prefix, node_id, status, enterprise) VALUES ($1, $1, 'node-previous', $2, $3)`, [
    prefix,
    status,
    JSON.stringify({ orgName: 'Earlier Co', creditCode: '91110108000000000X', contactName: 'Li Si', contactPhone: '+86 10 1234 5678', contactEmail: 'li@example.cn' }),
  ]);
}

describe('filing: check before create (EPP)', () => {
  let top: TopLevelUnderTest;
  let node: TestNode;
  let operator: string;

  beforeAll(async () => {
    top = await TopLevelUnderTest.start();
    node = await TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-88.118', ...FAST_LINK_ENV });
    operator = await node.operatorToken();
    await waitFor('the link to be up', async () => {
      const body = (await node.request('GET', '/api/v1/node/status', { token: operator })).body;
      return body.link.state === 'linked' && body.link.lastHeartbeatAckAt;
    }, { timeoutMs: 20_000 });
    await fileForAnotherNode(top, '88.118.50', 'approved');
    await fileForAnotherNode(top, '88.118.51', 'pending');
  });

  afterAll(async () => {
    await node?.stop();
    await top?.stop();
  });

  async function outboxItem(clientTransactionId: string) {
    return (await node.db.client.query(`SELECT * FROM upstream_outbox WHERE client_transaction_id = $1`, [clientTransactionId])).rows[0];
  }

  async function applicationStatus(id: string) {
    return (await node.request('GET', `/api/v1/enterprises/applications/${id}`, { token: operator })).body;
  }

  it('refuses at once an application for a prefix the top level has filed or pending for another node, changing nothing', async () => {
    const filed = await node.refused('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.50', 'taken-filed') });
    expect(filed.status).toBe(409);
    expect(filed.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(filed.body).toMatchObject({
      code: 'PREFIX_FILED_ELSEWHERE',
      detail: 'prefix 88.118.50 is already filed at the top-level node by another node (node-previous)',
      errors: [{ path: '/requestedPrefix', message: expect.stringMatching(/another node/) }],
    });
    const pending = await node.refused('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.51', 'taken-pending') });
    expect(pending.status).toBe(409);
    expect(pending.body).toMatchObject({ code: 'PREFIX_FILED_ELSEWHERE', detail: expect.stringMatching(/88\.118\.51 is pending filing .*node-previous/) });

    // A free prefix is accepted (the check has no side effect at the top level).
    const free = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.52', 'free-prefix') });
    expect(free.status).toBe(201);
    expect((await top.db.client.query(`SELECT 1 FROM filing_transactions WHERE prefix_key = '88.118.52'`)).rowCount).toBe(0);
    expect((await top.http('GET', '/api/v1/filings/88.118.52')).status).toBe(404);
  });

  it('accepts the application when the top level does not answer in time; the outbox checks before filing, fails the item and rejects the application', async () => {
    await top.simulate({ latencyMs: 3000 });
    let id = '';
    let restoredAt = 0;
    try {
      const application = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.50', 'slow-top') });
      // 88.118.50 is filed for another node: had the node waited for the top level's answer it
      // would have refused it (409, as in the test above). Accepted means it stopped waiting after
      // its call timeout (TOP_LEVEL_CALL_TIMEOUT_MS, 2 s) without the answer, which came at 3 s.
      expect(application.status).toBe(201);
      id = application.body.id;
    } finally {
      await top.simulate({ latencyMs: 0 });
      restoredAt = Date.now();
    }
    // Calls the top level was still holding back have been answered once a later heartbeat is acknowledged.
    await waitFor('the delayed calls to drain', async () => {
      const ack = (await node.request('GET', '/api/v1/node/status', { token: operator })).body.link.lastHeartbeatAckAt;
      return ack && Date.parse(ack) > restoredAt + 3100;
    }, { timeoutMs: 20_000 });
    const approved = await node.request('POST', `/api/v1/enterprises/applications/${id}/approve`, { token: operator });
    expect(approved.body.status).toBe('filing');

    const failed = await waitFor('the filing-create to fail', async () => {
      const item = await outboxItem(`filing-create-${id}`);
      return item?.status === 'failed' ? item : undefined;
    }, { timeoutMs: 20_000 });
    expect(failed.last_error).toBe('PREFIX_FILED_ELSEWHERE: prefix 88.118.50 is filed at the top level by node node-previous, not this node; the application was rejected');
    const rejected = await applicationStatus(id);
    expect(rejected).toMatchObject({ status: 'rejected', reviewReason: FILED_ELSEWHERE_REASON });
    expect((await node.db.client.query(`SELECT 1 FROM enterprise_prefixes WHERE prefix_key = '88.118.50'`)).rowCount).toBe(0);
    // Nothing was sent to create it, and the other node's filing is untouched.
    expect((await top.db.client.query(`SELECT 1 FROM filing_transactions WHERE prefix_key = '88.118.50'`)).rowCount).toBe(0);
    expect((await top.http('GET', '/api/v1/filings/88.118.50')).body).toMatchObject({ nodeId: 'node-previous', status: 'approved' });
    // The operator sees it in the failed view, and it is not retried by itself.
    const view = await node.request('GET', '/api/v1/upstream/outbox?status=failed', { token: operator });
    expect(view.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ clientTransactionId: `filing-create-${id}`, lastError: failed.last_error })]));
    const attempts = failed.attempts;
    await node.app.get(OutboxWorker).deliverDue();
    expect((await outboxItem(`filing-create-${id}`)).attempts).toBe(attempts);
  });

  it('a prefix filed elsewhere after the application was accepted is caught by the outbox check', async () => {
    const application = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.53', 'raced') });
    expect(application.status).toBe(201);
    await fileForAnotherNode(top, '88.118.53', 'pending');
    expect((await node.request('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: operator })).body.status).toBe('filing');
    const rejected = await waitFor('the application to be rejected', async () => {
      const body = await applicationStatus(application.body.id);
      return body.status === 'rejected' ? body : undefined;
    }, { timeoutMs: 20_000 });
    expect(rejected.reviewReason).toBe(FILED_ELSEWHERE_REASON);
    expect((await outboxItem(`filing-create-${application.body.id}`)).last_error).toMatch(/^PREFIX_FILED_ELSEWHERE: prefix 88\.118\.53 is pending filing at the top level by node node-previous/);
  });

  it('a replay of this node’s own create still goes through, as the same client transaction id', async () => {
    const application = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.54', 'replayed') });
    const id = application.body.id as string;
    const approved = await node.request('POST', `/api/v1/enterprises/applications/${id}/approve`, { token: operator });
    expect(approved.body.status).toBe('filing');
    const first = await waitFor('the create to be delivered', async () => {
      const item = await outboxItem(`filing-create-${id}`);
      return item?.status === 'delivered' ? item : undefined;
    }, { timeoutMs: 20_000 });
    expect(first.response).toMatchObject({ prefix: '88.118.54', replayed: false });

    // As if this process had died after the call and before recording the delivery: the item is due again.
    await node.db.client.query(`UPDATE upstream_outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), response = NULL, delivered_at = NULL WHERE id = $1`, [first.id]);
    const again = await waitFor('the create to be delivered again', async () => {
      const item = await outboxItem(`filing-create-${id}`);
      return item?.status === 'delivered' ? item : undefined;
    }, { timeoutMs: 20_000 });
    expect(again.response).toMatchObject({ prefix: '88.118.54', replayed: true, serverTransactionId: first.response.serverTransactionId });
    expect((await applicationStatus(id)).status).toBe('filing');
    const filing = await top.http('GET', '/api/v1/filings/88.118.54');
    expect(filing.body).toMatchObject({ nodeId: 'node-88.118', status: 'pending' });
    expect(filing.body.transactions).toHaveLength(1);

    // An enterprise whose prefix is still being filed cannot be deactivated (the top level has nothing to delete yet).
    const refused = await node.refused('POST', `/api/v1/enterprises/${approved.body.enterpriseId}/deactivate`, { token: operator, body: { reason: 'too early' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ILLEGAL_TRANSITION', detail: expect.stringMatching(/88\.118\.54 .* is filing/) });

    expect((await top.http('POST', '/api/v1/filings/88.118.54/approve', { reason: 'ok' })).status).toBe(200);
    await waitFor('the application to become active', async () => (await applicationStatus(id)).status === 'active', { timeoutMs: 20_000 });
  });
});

describe('operator deactivation: filing delete, local stop, and other nodes forget the prefix', () => {
  let top: TopLevelUnderTest;
  let near: TestNode; // 88.118: resolves the far node's identifiers
  let far: TestNode; // 88.200: where the enterprise is deactivated
  let enterprise: Awaited<ReturnType<TestNode['approvedEnterprise']>>;
  let farOperator: string;

  const URL_VALUE = (url: string) => ({ index: 1, type: 'URL', data: { format: 'string', value: url } });

  beforeAll(async () => {
    top = await TopLevelUnderTest.start({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '0', RESOLVE_TTL_SECONDS: '1', RESOLVE_NOT_FOUND_TTL_SECONDS: '1' });
    [near, far] = await Promise.all([
      TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-near', SECONDARY_PREFIX: '88.118', ...FAST_LINK_ENV }),
      TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-far', SECONDARY_PREFIX: '88.200', ...FAST_LINK_ENV }),
    ]);
    farOperator = await far.operatorToken();
    await waitFor('the far node to be enrolled', async () => (await far.request('GET', '/api/v1/node/status', { token: farOperator })).body.enrolment, { timeoutMs: 20_000 });
    enterprise = await far.approvedEnterprise('88.200.5', 'far-ent');
    await waitFor('88.200.5 to be active on the far node', async () => {
      const reply = await far.request('GET', `/api/v1/enterprises/applications/${enterprise.applicationId}`, { token: farOperator });
      return reply.body.status === 'active';
    }, { timeoutMs: 20_000 });
    for (const suffix of ['A', 'B']) {
      const put = await far.request('PUT', `/api/handles/88.200.5/${suffix}`, { token: enterprise.token, body: { values: [URL_VALUE(`https://far.example.cn/${suffix}`)] } });
      expect([200, 201]).toContain(put.status);
    }
    await waitFor('the near node to be enrolled', async () => (await near.request('GET', '/api/v1/node/status', { token: await near.operatorToken() })).body.enrolment, { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await near?.stop();
    await far?.stop();
    await top?.stop();
  });

  it('refuses bad deactivation requests without changing anything', async () => {
    const path = `/api/v1/enterprises/${enterprise.enterpriseId}/deactivate`;
    expect((await far.refused('POST', path, { body: { reason: 'x' } })).status).toBe(401);
    expect((await far.refused('POST', path, { token: enterprise.token, body: { reason: 'x' } })).status).toBe(403);
    expect((await far.refused('POST', path, { token: farOperator, body: {} })).status).toBe(400);
    expect((await far.refused('POST', path, { token: farOperator, body: { reason: '   ' } })).status).toBe(400);
    expect((await far.refused('POST', path, { token: farOperator, body: { reason: 'r'.repeat(401) } })).status).toBe(400);
    expect((await far.refused('POST', path, { token: farOperator, body: { reason: 'ok', force: true } })).status).toBe(400);
    expect((await far.refused('POST', '/api/v1/enterprises/not-a-uuid/deactivate', { token: farOperator, body: { reason: 'x' } })).status).toBe(400);
    const unknown = await far.refused('POST', '/api/v1/enterprises/00000000-0000-4000-8000-000000000000/deactivate', { token: farOperator, body: { reason: 'x' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('ENTERPRISE_NOT_FOUND');
  });

  it('stops serving the prefix at once, files the deletion, and other nodes find the prefix unknown once the referral expires', async () => {
    // Resolved on both nodes first, so both have it cached.
    expect((await near.request('GET', '/api/handles/88.200.5/A')).status).toBe(200);
    expect((await far.request('GET', '/api/handles/88.200.5/A')).status).toBe(200);

    const reply = await far.request('POST', `/api/v1/enterprises/${enterprise.enterpriseId}/deactivate`, { token: farOperator, body: { reason: 'business closed' } });
    expect(reply.status).toBe(200);
    const deleteId = `filing-delete-${enterprise.applicationId}`;
    expect(reply.body).toEqual({
      id: enterprise.enterpriseId,
      orgName: 'Org of far-ent',
      creditCode: expect.any(String),
      status: 'suspended',
      prefixes: [{ prefix: '88.200.5', status: 'disabled' }],
      filingDeletes: [deleteId],
    });

    // Locally, at once: cached copies evicted, nothing resolves, nothing registers.
    const gone = await far.request('GET', '/api/handles/88.200.5/A');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ responseCode: 100 });
    expect((await far.request('GET', '/api/handles/88.200.5/B')).status).toBe(404);
    expect((await far.request('GET', '/88.200.5/A?noredirect', { headers: { accept: 'application/json' } })).body).toMatchObject({ responseCode: 100, prefixKnown: false });
    // The enterprise's own token is void from the deactivation on (401); an operator may not write under the disabled prefix either (403).
    const put = await far.refused('PUT', '/api/handles/88.200.5/C', { token: enterprise.token, body: { values: [URL_VALUE('https://far.example.cn/C')] } });
    expect(put.status).toBe(401);
    expect((await far.refused('PUT', '/api/handles/88.200.5/C', { token: farOperator, body: { values: [URL_VALUE('https://far.example.cn/C')] } })).status).toBe(403);
    // The identifiers themselves are kept (the deactivation is a state, not an erasure).
    expect((await far.db.client.query(`SELECT count(*)::int AS n FROM identifiers WHERE prefix_key = '88.200.5'`)).rows[0].n).toBe(2);

    // A second deactivation is refused and changes nothing.
    const again = await far.refused('POST', `/api/v1/enterprises/${enterprise.enterpriseId}/deactivate`, { token: farOperator, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ILLEGAL_TRANSITION');

    // Upstream: the filing-delete is delivered and, after review, the top level shows the filing deleted.
    const delivered = await waitFor('the filing-delete to be delivered', async () => {
      const row = (await far.db.client.query(`SELECT * FROM upstream_outbox WHERE client_transaction_id = $1`, [deleteId])).rows[0];
      return row?.status === 'delivered' ? row : undefined;
    }, { timeoutMs: 20_000 });
    expect(delivered).toMatchObject({ kind: 'filing-delete', payload: expect.objectContaining({ prefix: '88.200.5', reason: 'deactivated by operator: business closed' }) });
    const filing = await waitFor('the filing to be deleted at the top level', async () => {
      const body = (await top.http('GET', '/api/v1/filings/88.200.5')).body;
      return body?.status === 'deleted' ? body : undefined;
    }, { timeoutMs: 20_000 });
    expect(filing.transactions.map((t: { operation: string }) => String(t.operation).toLowerCase())).toEqual(expect.arrayContaining([expect.stringMatching(/create/), expect.stringMatching(/delete/)]));

    // Through the other node: once its referral (1 s) has expired, the prefix is unknown. Each probe
    // asks for a new identifier, so no cached answer hides the change.
    let probe = 0;
    const unknown = await waitFor('the near node to find 88.200.5 unknown', async () => {
      probe += 1;
      const body = (await near.request('GET', `/88.200.5/probe-${probe}?noredirect`, { headers: { accept: 'application/json' } })).body;
      return body?.prefixKnown === false ? body : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    expect(unknown).toMatchObject({ responseCode: 100 });
    const page = await near.request('GET', `/88.200.5/probe-page`);
    expect(page.status).toBe(404);
    expect(page.text).toMatch(/Prefix <code>88\.200\.5<\/code> is unknown/);
  });
});

describe('operator deactivation on an unlinked node', () => {
  it('disables the prefix locally and writes nothing to the outbox', async () => {
    const node = await TestNode.start({});
    try {
      const operator = await node.operatorToken();
      const enterprise = await node.approvedEnterprise('88.118.60', 'unlinked-deact');
      const put = await node.request('PUT', '/api/handles/88.118.60/A', { token: enterprise.token, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://example.cn/a' } }] } });
      expect([200, 201]).toContain(put.status);
      expect((await node.request('GET', '/api/handles/88.118.60/A')).status).toBe(200);
      const reply = await node.request('POST', `/api/v1/enterprises/${enterprise.enterpriseId}/deactivate`, { token: operator, body: { reason: 'closed' } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 'suspended', prefixes: [{ prefix: '88.118.60', status: 'disabled' }], filingDeletes: [] });
      expect((await node.request('GET', '/api/handles/88.118.60/A')).status).toBe(404);
      expect((await node.db.client.query('SELECT 1 FROM upstream_outbox')).rowCount).toBe(0);
    } finally {
      await node.stop();
    }
  });
});
