import 'reflect-metadata';
import { StatisticsReporter } from '../../apps/secondary-node/src/upstream/statistics-reporter';
import { applicationBody, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { ENROLMENT_TOKEN, FAST_LINK_ENV, startLinkedNode, TopLevelUnderTest } from './upstream-harness';

jest.setTimeout(120_000);

describe('upstream link: enrolment, filing, outbox, status', () => {
  let top: TopLevelUnderTest;
  let node: TestNode;
  let operator: string;

  beforeAll(async () => {
    top = await TopLevelUnderTest.start();
    node = await TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-88.118', ...FAST_LINK_ENV });
    operator = await node.operatorToken();
  });

  afterAll(async () => {
    await node?.stop();
    await top?.stop();
  });

  async function status() {
    const reply = await node.request('GET', '/api/v1/node/status', { token: operator });
    expect(reply.status).toBe(200);
    return reply.body;
  }

  async function apply(prefix: string, username: string) {
    const reply = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody(prefix, username) });
    expect(reply.status).toBe(201);
    return reply.body;
  }

  async function outboxItem(clientTransactionId: string) {
    const rows = await node.db.client.query(`SELECT * FROM upstream_outbox WHERE client_transaction_id = $1`, [clientTransactionId]);
    return rows.rows[0];
  }

  it('enrols at start, keeps the secret sealed, and reports the link in status, /health and /metrics', async () => {
    const linked = await waitFor('a heartbeat ack', async () => {
      const body = await status();
      return body.link.lastHeartbeatAckAt ? body : undefined;
    }, { timeoutMs: 20_000 });
    expect(linked).toMatchObject({
      nodeId: 'node-88.118',
      secondaryPrefix: '88.118',
      topLevel: { configured: true, url: top.grpc },
      enrolment: { nodeId: 'node-88.118', assignedPrefix: '88.118', keyId: expect.any(String), enrolledAt: expect.any(String) },
      link: { state: 'linked' },
      outbox: { pending: 0, failed: 0 },
    });
    const row = (await node.db.client.query(`SELECT key_id, secret_sealed, assigned_prefix FROM node_enrolment WHERE node_id = 'node-88.118'`)).rows[0];
    expect(row.key_id).toBe(linked.enrolment.keyId);
    expect(row.secret_sealed).toMatch(/^v1\./);
    const nodes = await top.http('GET', '/api/v1/nodes');
    expect(nodes.body.items.map((n: { nodeId: string }) => n.nodeId)).toContain('node-88.118');

    const health = await node.request('GET', '/health', { token: await node.operatorToken() });
    expect(health.status).toBe(200);
    expect(health.body.checks.topLevel).toMatchObject({ status: 'up', state: 'linked' });
    const metrics = await node.request('GET', '/metrics');
    expect(metrics.text).toMatch(/^idis_upstream_link_up 1$/m);
    expect(metrics.text).toMatch(/^idis_upstream_outbox_items\{status="pending"\} 0$/m);
  });

  it('refuses the status and outbox views to anonymous callers and enterprises', async () => {
    expect((await node.request('GET', '/api/v1/node/status')).status).toBe(401);
    expect((await node.request('GET', '/api/v1/upstream/outbox')).status).toBe(401);
    expect((await node.request('POST', `/api/v1/upstream/outbox/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/retry`)).status).toBe(401);
  });

  it('files an approved prefix: approved → filing (not served) → active once the top level accepts it', async () => {
    const application = await apply('88.118.31', 'filing-ok');
    const approved = await node.request('POST', `/api/v1/enterprises/applications/${application.id}/approve`, { token: operator });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('filing');
    // The outbox row was committed with the approval.
    expect(await outboxItem(`filing-create-${application.id}`)).toMatchObject({ kind: 'filing-create', payload: expect.objectContaining({ prefix: '88.118.31' }) });

    // While filing, the prefix is not served: the enterprise cannot register under it, and nothing resolves.
    const enterprise = await node.token('filing-ok', 'enterprise-pass-1');
    const refused = await node.refused('PUT', '/api/handles/88.118.31/item-1', { token: enterprise, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://example.cn/1' } }] } });
    expect(refused.status).toBe(403);
    expect((await node.request('GET', '/api/handles/88.118.31/item-1')).status).toBe(404);

    const filed = await waitFor('the filing at the top level', async () => {
      const reply = await top.http('GET', '/api/v1/filings/88.118.31');
      return reply.status === 200 ? reply.body : undefined;
    }, { timeoutMs: 20_000 });
    expect(filed).toMatchObject({ prefix: '88.118.31', nodeId: 'node-88.118', status: 'pending' });
    expect((await outboxItem(`filing-create-${application.id}`)).status).toBe('delivered');

    expect((await top.http('POST', '/api/v1/filings/88.118.31/approve', { reason: 'ok' })).status).toBe(200);
    const active = await waitFor('the application to become active', async () => {
      const reply = await node.request('GET', `/api/v1/enterprises/applications/${application.id}`, { token: operator });
      return reply.body.status === 'active' ? reply.body : undefined;
    }, { timeoutMs: 20_000 });
    expect(active.status).toBe('active');
    const prefixRow = await node.db.client.query(`SELECT status FROM enterprise_prefixes WHERE prefix_key = '88.118.31'`);
    expect(prefixRow.rows[0].status).toBe('active');
    const put = await node.request('PUT', '/api/handles/88.118.31/item-1', { token: enterprise, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://example.cn/1' } }] } });
    expect([200, 201]).toContain(put.status);
    expect((await node.request('GET', '/api/handles/88.118.31/item-1')).status).toBe(200);
  });

  it('a prefix the top level rejects is rejected locally with the top level’s reason and released', async () => {
    const application = await apply('88.118.32', 'filing-no');
    expect((await node.request('POST', `/api/v1/enterprises/applications/${application.id}/approve`, { token: operator })).body.status).toBe('filing');
    await waitFor('the filing at the top level', async () => (await top.http('GET', '/api/v1/filings/88.118.32')).status === 200, { timeoutMs: 20_000 });
    expect((await top.http('POST', '/api/v1/filings/88.118.32/reject', { reason: 'enterprise name does not match the credit code' })).status).toBe(200);
    const rejected = await waitFor('the application to be rejected', async () => {
      const reply = await node.request('GET', `/api/v1/enterprises/applications/${application.id}`, { token: operator });
      return reply.body.status === 'rejected' ? reply.body : undefined;
    }, { timeoutMs: 20_000 });
    expect(rejected.reviewReason).toMatch(/top-level node: enterprise name does not match the credit code/);
    expect((await node.db.client.query(`SELECT 1 FROM enterprise_prefixes WHERE prefix_key = '88.118.32'`)).rowCount).toBe(0);
    expect((await node.request('GET', '/88.118.32/x?noredirect', { headers: { accept: 'application/json' } })).body.prefixKnown).toBe(false);
  });

  it('keeps filings while the top level is down, shows them pending with their error, and delivers them once it is back', async () => {
    await top.simulate({ down: true });
    try {
      const application = await apply('88.118.33', 'filing-later');
      expect((await node.request('POST', `/api/v1/enterprises/applications/${application.id}/approve`, { token: operator })).body.status).toBe('filing');
      const waiting = await waitFor('a failed attempt', async () => {
        const item = await outboxItem(`filing-create-${application.id}`);
        return item.attempts >= 2 && item.last_error ? item : undefined;
      }, { timeoutMs: 20_000 });
      expect(waiting.status).toBe('pending');
      expect(waiting.last_error).toMatch(/^UNAVAILABLE/);

      const view = await node.request('GET', '/api/v1/upstream/outbox?status=pending', { token: operator });
      expect(view.status).toBe(200);
      const shown = view.body.items.find((i: { clientTransactionId: string }) => i.clientTransactionId === `filing-create-${application.id}`);
      expect(shown).toMatchObject({ kind: 'filing-create', status: 'pending', attempts: expect.any(Number), lastError: expect.stringMatching(/^UNAVAILABLE/), nextAttemptAt: expect.any(String) });

      const down = await waitFor('the link to be unreachable', async () => {
        const body = await status();
        return body.link.state === 'unreachable' ? body : undefined;
      }, { timeoutMs: 20_000 });
      expect(down.outbox.pending).toBeGreaterThanOrEqual(1);
      expect(down.link.lastError).toMatch(/UNAVAILABLE/);
      const health = await node.request('GET', '/health', { token: await node.operatorToken() });
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.checks.topLevel.status).toBe('down');
      expect((await node.request('GET', '/metrics')).text).toMatch(/^idis_upstream_link_up 0$/m);
    } finally {
      await top.simulate({ down: false });
    }
    const delivered = await waitFor('delivery after recovery', async () => {
      const item = (await node.db.client.query(`SELECT * FROM upstream_outbox WHERE payload->>'prefix' = '88.118.33'`)).rows[0];
      return item.status === 'delivered' ? item : undefined;
    }, { timeoutMs: 20_000 });
    expect(delivered.response).toMatchObject({ prefix: '88.118.33' });
    const filing = await top.http('GET', '/api/v1/filings/88.118.33');
    expect(filing.body.transactions).toHaveLength(1);
    await waitFor('the link to be up again', async () => (await status()).link.state === 'linked', { timeoutMs: 20_000 });
  });

  it('shows a call refused for good as failed with its last error; retry puts it back in line', async () => {
    // A filing outside this node's prefix (as if written by a buggy version): the top level refuses it.
    await node.db.client.query(
      `INSERT INTO upstream_outbox (kind, payload, client_transaction_id) VALUES ('filing-create', $1, 'filing-create-foreign')`,
      [JSON.stringify({ prefix: '88.200.77', enterprise: { orgName: 'X', creditCode: '91110108000000000X', contactName: 'Z', contactPhone: '+86 1', contactEmail: 'x@example.cn' } })],
    );
    const failed = await waitFor('the item to fail', async () => {
      const item = await outboxItem('filing-create-foreign');
      return item.status === 'failed' ? item : undefined;
    }, { timeoutMs: 20_000 });
    expect(failed.last_error).toMatch(/^(PERMISSION_DENIED|INVALID_ARGUMENT)/);
    expect(failed.attempts).toBe(1);

    const view = await node.request('GET', '/api/v1/upstream/outbox?status=failed', { token: operator });
    expect(view.body.items).toEqual([expect.objectContaining({ id: failed.id, status: 'failed', lastError: failed.last_error, nextAttemptAt: null })]);
    expect((await status()).outbox.failed).toBe(1);

    const retried = await node.request('POST', `/api/v1/upstream/outbox/${failed.id}/retry`, { token: operator });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    await waitFor('the item to fail again', async () => (await outboxItem('filing-create-foreign')).status === 'failed', { timeoutMs: 20_000 });

    const delivered = (await node.db.client.query(`SELECT id FROM upstream_outbox WHERE status = 'delivered' LIMIT 1`)).rows[0];
    expect((await node.request('POST', `/api/v1/upstream/outbox/${delivered.id}/retry`, { token: operator })).status).toBe(409);
    expect((await node.request('POST', `/api/v1/upstream/outbox/00000000-0000-4000-8000-000000000000/retry`, { token: operator })).status).toBe(404);
    expect((await node.request('POST', `/api/v1/upstream/outbox/not-a-uuid/retry`, { token: operator })).status).toBe(400);
    expect((await node.request('GET', '/api/v1/upstream/outbox?status=lost', { token: operator })).status).toBe(400);
    expect((await node.request('GET', '/api/v1/upstream/outbox?pageSize=0', { token: operator })).status).toBe(400);
    await node.db.client.query(`DELETE FROM upstream_outbox WHERE client_transaction_id = 'filing-create-foreign'`);
  });

  it('reports the statistics of closed periods once each, through the outbox', async () => {
    const reporter = node.app.get(StatisticsReporter);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    await node.db.client.query(
      `INSERT INTO usage_counts (prefix_key, minute, kind, outcome, count) VALUES
        ('88.118.31', to_timestamp($1 / 1000.0), 'resolution', 'l1', 7), ('88.118.31', to_timestamp($1 / 1000.0), 'resolution', 'not_found', 2),
        ('88.118.31', to_timestamp($1 / 1000.0), 'registration', 'create', 3), ('-', to_timestamp($1 / 1000.0), 'resolution', 'db', 100)`,
      [minute],
    );
    const written = await reporter.reportClosedPeriods();
    expect(written).toBeGreaterThanOrEqual(1);
    expect(await reporter.reportClosedPeriods()).toBe(0);
    const reports = (await node.db.client.query(`SELECT payload FROM upstream_outbox WHERE kind = 'statistics-report' ORDER BY (payload->>'sequence')::int`)).rows.map((r) => r.payload);
    expect(reports.map((r) => r.sequence)).toEqual(reports.map((_, i) => i + 1));
    const containing = reports.find((r) => r.periodStartMs <= minute && minute < r.periodEndMs);
    // Prefixes homed here under their own name; the rest (the '-' bucket) once, last.
    expect(containing.volumes).toEqual([
      { prefix: '88.118.31', registrations: 3, resolutions: 7, notFound: 2, errors: 0 },
      { prefix: '-', registrations: 0, resolutions: 100, notFound: 0, errors: 0 },
    ]);
    await waitFor('every report delivered', async () => (await node.db.client.query(`SELECT 1 FROM upstream_outbox WHERE kind = 'statistics-report' AND status <> 'delivered'`)).rowCount === 0, { timeoutMs: 20_000 });
    const volumes = await top.http('GET', '/api/v1/volumes?groupBy=prefix&nodeId=node-88.118');
    expect(volumes.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ prefix: '88.118.31', registrations: 3, resolutions: 7 })]));
    const last = (await status()).lastReport;
    expect(last).toMatchObject({ sequence: reports.length, status: 'delivered' });
  });
});

describe('upstream link: credentials reused across restarts, unlinked nodes', () => {
  it('reuses its stored credentials after a restart instead of enrolling again', async () => {
    const top = await TopLevelUnderTest.start();
    const node = await TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-restart', ...FAST_LINK_ENV });
    try {
      const operator = await node.operatorToken();
      const first = await waitFor('enrolment', async () => (await node.request('GET', '/api/v1/node/status', { token: operator })).body.enrolment, { timeoutMs: 20_000 });
      await node.app.close();
      const again = await startLinkedNode(node.db.url, { TOP_LEVEL_URL: top.grpc, NODE_ID: 'node-restart' });
      try {
        const reply = await waitFor('a heartbeat with the old key', async () => {
          const r = await fetch(`${again.baseUrl}/api/v1/node/status`, { headers: { authorization: `Bearer ${operator}` } });
          const body = (await r.json()) as any;
          return body.link.state === 'linked' && body.link.lastSuccessAt ? body : undefined;
        }, { timeoutMs: 20_000 });
        expect(reply.enrolment.keyId).toBe(first.keyId);
        expect(reply.enrolment.enrolledAt).toBe(first.enrolledAt);
      } finally {
        await again.app.close();
      }
    } finally {
      await node.db.drop();
      await top.stop();
    }
  });

  it('with a wrong enrolment token the node serves locally and says why it is not linked', async () => {
    const top = await TopLevelUnderTest.start();
    const node = await TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN: 'wrong-token-wrong-token-wrong', NODE_ID: 'node-wrong', ...FAST_LINK_ENV });
    try {
      const operator = await node.operatorToken();
      const body = await waitFor('an enrolment error', async () => {
        const reply = (await node.request('GET', '/api/v1/node/status', { token: operator })).body;
        return reply.link.lastError ? reply : undefined;
      }, { timeoutMs: 20_000 });
      expect(body.enrolment).toBeNull();
      expect(body.link.state).toBe('enrolling');
      expect(body.link.lastError).toMatch(/^(PERMISSION_DENIED|UNAUTHENTICATED|INVALID_ARGUMENT)/);
      expect((await node.request('GET', '/health', { token: await node.operatorToken() })).body).toMatchObject({ status: 'degraded', checks: { topLevel: { status: 'down' } } });
      expect((await node.db.client.query('SELECT 1 FROM node_enrolment')).rowCount).toBe(0);
    } finally {
      await node.stop();
      await top.stop();
    }
  });

  it('without TOP_LEVEL_URL runs unlinked: approval activates at once, status says not configured', async () => {
    const node = await TestNode.start({});
    try {
      const operator = await node.operatorToken();
      const status = await node.request('GET', '/api/v1/node/status', { token: operator });
      expect(status.body).toMatchObject({ topLevel: { configured: false, url: null }, enrolment: null, link: { state: 'not-configured', message: expect.stringMatching(/not configured/) } });
      const health = await node.request('GET', '/health', { token: await node.operatorToken() });
      expect(health.body).toMatchObject({ status: 'ok', checks: { topLevel: { status: 'not-configured' } } });
      const enterprise = await node.approvedEnterprise('88.118.40', 'unlinked-ent');
      const application = await node.request('GET', `/api/v1/enterprises/applications/${enterprise.applicationId}`, { token: operator });
      expect(application.body.status).toBe('active');
      expect((await node.db.client.query('SELECT 1 FROM upstream_outbox')).rowCount).toBe(0);
      expect((await node.request('GET', '/metrics')).text).not.toMatch(/^idis_upstream_link_up /m);
    } finally {
      await node.stop();
    }
  });
});
