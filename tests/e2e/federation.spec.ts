import { freePort } from '../support/free-port';
import { buildRequest, FLAG_PO, FLAG_REC, parseReply, parseSite, TcpSession, udpExchange } from '../support/handle-wire-client';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { TopLevelProcess } from '../support/top-level-process';
import { waitFor } from '../support/wait-for';

const ENROLMENT_TOKEN = 'federation-e2e-token-0123456789';

/** The built top-level node as a real process, on a fixed gRPC port so that a restart comes back where nodes look. */
async function startTopLevel(databaseUrl: string, grpcPort: number): Promise<{ process: TopLevelProcess; httpUrl: string }> {
  const child = TopLevelProcess.spawn({ DATABASE_URL: databaseUrl, ENROLMENT_TOKEN, TOP_LEVEL_GRPC_PORT: String(grpcPort), TOP_LEVEL_HTTP_PORT: '0', HOST: '127.0.0.1', FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '0' });
  return { process: child, httpUrl: (await child.ready(60_000)).httpUrl };
}

/** GET on the top level's HTTP API, the reply's JSON body. */
async function topGet(top: { httpUrl: string }, path: string): Promise<any> {
  return (await request(top.httpUrl, 'GET', path, { redirect: 'follow', requireJson: true })).body;
}

interface SecondaryUnderTest {
  process: NodeProcess;
  db: TestDatabase;
  base: string;
  operator: string;
  /** UDP and TCP port of its Handle protocol listeners. */
  handlePort: number;
}

/**
 * Federation over loopback with real processes: one top-level node and two secondary nodes
 * (88.118 and 88.200), each its own process and database, talking gRPC and HTTP only.
 */
describe('federation: top level + two secondary nodes as processes', () => {
  let topDb: TestDatabase;
  let top: { process: TopLevelProcess; httpUrl: string };
  let grpcPort: number;
  const nodes: Record<'near' | 'far', SecondaryUnderTest> = {} as never;

  async function startSecondary(nodeId: string, prefix: string): Promise<SecondaryUnderTest> {
    const db = await createTestDatabase('fed');
    const handlePort = await freePort();
    const process = NodeProcess.spawn({
      HANDLE_PROTOCOL_PORT: String(handlePort),
      HANDLE_PROTOCOL_HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      NODE_ID: nodeId,
      SECONDARY_PREFIX: prefix,
      TOP_LEVEL_URL: `127.0.0.1:${grpcPort}`,
      ENROLMENT_TOKEN,
      STATS_FLUSH_INTERVAL_MS: '200',
      UPSTREAM_POLL_INTERVAL_MS: '200',
      UPSTREAM_HEARTBEAT_INTERVAL_MS: '500',
      UPSTREAM_REPORT_INTERVAL_MS: '1000',
      UPSTREAM_RETRY_BASE_MS: '200',
      UPSTREAM_RETRY_MAX_MS: '1000',
      TOP_LEVEL_CALL_TIMEOUT_MS: '2000',
    });
    const base = await process.ready();
    const login = await request(base, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
    return { process, db, base, operator: login.body.accessToken, handlePort };
  }

  async function applyAndApprove(node: SecondaryUnderTest, prefix: string, username: string): Promise<string> {
    const application = await request(node.base, 'POST', '/api/v1/enterprises/applications', { body: applicationBody(prefix, username) });
    expect(application.status).toBe(201);
    const approved = await request(node.base, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: node.operator });
    expect(approved.body.status).toBe('filing');
    return application.body.id;
  }

  async function activeApplication(node: SecondaryUnderTest, id: string, timeoutMs: number): Promise<void> {
    await waitFor(`application ${id} to become active`, async () => (await request(node.base, 'GET', `/api/v1/enterprises/applications/${id}`, { token: node.operator })).body.status === 'active', { timeoutMs, intervalMs: 200 });
  }

  beforeAll(async () => {
    topDb = await createTestDatabase('fedtop');
    grpcPort = await freePort();
    top = await startTopLevel(topDb.url, grpcPort);
    [nodes.near, nodes.far] = await Promise.all([startSecondary('node-88.118', '88.118'), startSecondary('node-88.200', '88.200')]);
  }, 180_000);

  afterAll(async () => {
    for (const node of Object.values(nodes)) {
      await node?.process.stop();
      await node?.db.drop();
    }
    await top?.process.stop('SIGTERM');
    await topDb?.drop();
  }, 120_000);

  it('an enterprise approved on 88.200 is filed, and its identifiers resolve through 88.118', async () => {
    const far = nodes.far;
    const id = await applyAndApprove(far, '88.200.5', 'fed-ent');
    await activeApplication(far, id, 30_000);
    const login = await request(far.base, 'POST', '/api/v1/auth/token', { body: { username: 'fed-ent', password: 'enterprise-pass-1' } });
    const put = await request(far.base, 'PUT', '/api/handles/88.200.5/PART-1', { token: login.body.accessToken, body: [{ index: 1, type: 'URL', data: 'https://far.example.cn/part-1' }] });
    expect([200, 201]).toContain(put.status);

    const rest = await request(nodes.near.base, 'GET', '/api/handles/88.200.5/PART-1');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ responseCode: 1, handle: '88.200.5/PART-1', values: [expect.objectContaining({ data: { format: 'string', value: 'https://far.example.cn/part-1' } })] });
    const proxy = await request(nodes.near.base, 'GET', '/88.200.5/PART-1');
    expect(proxy.status).toBe(302);
    expect(proxy.headers.get('location')).toBe('https://far.example.cn/part-1');
    const unknown = await request(nodes.near.base, 'GET', '/88.777.1/none');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toMatch(/is unknown/);

    const filings = await topGet(top, '/api/v1/filings?nodeId=node-88.200');
    expect(filings.items).toEqual([expect.objectContaining({ prefix: '88.200.5', status: 'approved' })]);
    const nodeList = await topGet(top, '/api/v1/nodes');
    expect(nodeList.items.map((n: { nodeId: string }) => n.nodeId).sort()).toEqual(['node-88.118', 'node-88.200']);
  }, 120_000);

  // Uses the identifier filed on 88.200 by the test above.
  it('a Handle protocol client asks 88.118 for an identifier homed on 88.200 and is answered through the top-level referral', async () => {
    const resolved = await udpExchange(nodes.near.handlePort, [buildRequest({ requestId: 9001, handle: '88.200.5/PART-1', opFlags: FLAG_REC | FLAG_PO })], 9001);
    const answer = parseReply(resolved.whole as Buffer);
    expect(answer).toMatchObject({ requestId: 9001, responseCode: 1, handle: '88.200.5/PART-1' });
    expect(answer.values?.map((v) => [v.type, v.data.toString()])).toEqual([['URL', 'https://far.example.cn/part-1']]);
    // The same answer as 88.200's own listeners give.
    const direct = await udpExchange(nodes.far.handlePort, [buildRequest({ requestId: 9003, handle: '88.200.5/PART-1', opFlags: FLAG_REC | FLAG_PO })], 9003);
    expect(parseReply(direct.whole as Buffer).values?.map((v) => [v.type, v.data.toString()])).toEqual([['URL', 'https://far.example.cn/part-1']]);
  }, 60_000);

  // Uses the identifier filed on 88.200 by the first test.
  it('a Handle protocol client that does not ask for recursion is referred by 88.118 to the Handle listeners of 88.200', async () => {
    const far = nodes.far;
    // Neither REC nor DNRF: RFC 3652 §3.1 lets the server answer RC_SERVICE_REFERRAL with the responsible site.
    const referred = parseReply((await udpExchange(nodes.near.handlePort, [buildRequest({ requestId: 9101, handle: '88.200.5/PART-1', opFlags: FLAG_PO })], 9101)).whole as Buffer);
    expect(referred).toMatchObject({ requestId: 9101, responseCode: 302, handle: '0.NA/88.200.5' });
    expect(referred.opFlags & FLAG_REC).toBe(0);
    expect(referred.values?.map((v) => v.type)).toEqual(['HS_SITE']);
    const site = parseSite(referred.values?.[0].data as Buffer);
    expect(site.servers).toHaveLength(1);
    expect(site.servers[0].address.subarray(12).join('.')).toBe('127.0.0.1');
    expect(site.servers[0].interfaces).toEqual(
      expect.arrayContaining([
        { type: 2, protocol: 0, port: far.handlePort },
        { type: 2, protocol: 1, port: far.handlePort },
      ]),
    );

    // Following the referral: the site's UDP and TCP query interfaces answer the identifier themselves.
    const udpInterface = site.servers[0].interfaces.find((i) => i.protocol === 0)!;
    const viaUdp = parseReply((await udpExchange(udpInterface.port, [buildRequest({ requestId: 9102, handle: '88.200.5/PART-1', opFlags: FLAG_PO })], 9102)).whole as Buffer);
    expect(viaUdp).toMatchObject({ requestId: 9102, responseCode: 1, handle: '88.200.5/PART-1' });
    expect(viaUdp.values?.map((v) => [v.type, v.data.toString()])).toEqual([['URL', 'https://far.example.cn/part-1']]);
    const tcpInterface = site.servers[0].interfaces.find((i) => i.protocol === 1)!;
    const session = await TcpSession.open(tcpInterface.port);
    try {
      session.send(buildRequest({ requestId: 9103, handle: '88.200.5/PART-1', opFlags: FLAG_PO }));
      const viaTcp = parseReply(await session.next());
      expect(viaTcp).toMatchObject({ requestId: 9103, responseCode: 1, handle: '88.200.5/PART-1' });
      expect(viaTcp.values?.map((v) => [v.type, v.data.toString()])).toEqual([['URL', 'https://far.example.cn/part-1']]);
    } finally {
      session.close();
    }

    // An identifier of 88.118's own prefix space is never referred: not found is answered here.
    const local = parseReply((await udpExchange(nodes.near.handlePort, [buildRequest({ requestId: 9104, handle: '88.118.404/none', opFlags: FLAG_PO })], 9104)).whole as Buffer);
    expect(local).toMatchObject({ requestId: 9104, responseCode: 100 });
  }, 60_000);

  it('survives a SIGKILL of the top level with filings and reports pending: each arrives once in effect', async () => {
    // Resolutions on both nodes under their own prefixes, so both have statistics to report.
    const nearId = await applyAndApprove(nodes.near, '88.118.5', 'fed-ent-near');
    await activeApplication(nodes.near, nearId, 30_000);
    for (let i = 0; i < 5; i += 1) {
      expect((await request(nodes.near.base, 'GET', '/api/handles/88.200.5/PART-1')).status).toBe(200);
      expect((await request(nodes.near.base, 'GET', `/api/handles/88.118.5/none-${i}`)).status).toBe(404);
      expect((await request(nodes.far.base, 'GET', '/api/handles/88.200.5/PART-1')).status).toBe(200);
    }
    // The minute holding these resolutions: the report that covers it ends after this instant.
    const resolvedAtMs = Date.now();
    await top.process.stop('SIGKILL');
    const pendingFilings = [
      { node: nodes.far, id: await applyAndApprove(nodes.far, '88.200.6', 'fed-ent-6'), prefix: '88.200.6' },
      { node: nodes.far, id: await applyAndApprove(nodes.far, '88.200.7', 'fed-ent-7'), prefix: '88.200.7' },
      { node: nodes.near, id: await applyAndApprove(nodes.near, '88.118.6', 'fed-ent-118'), prefix: '88.118.6' },
    ];
    // Wait until both nodes hold an undelivered statistics report of the minute of the resolutions (an earlier,
    // empty period may have been reported first: a node reports every closed minute, counted or not).
    for (const node of [nodes.near, nodes.far]) {
      await waitFor(
        'a pending statistics report covering the resolutions',
        async () =>
          (
            await node.db.client.query(
              `SELECT 1 FROM upstream_outbox WHERE kind = 'statistics-report' AND status = 'pending' AND attempts > 0 AND (payload->>'periodEndMs')::bigint > $1`,
              [resolvedAtMs],
            )
          ).rowCount! > 0,
        { timeoutMs: 110_000, intervalMs: 200 },
      );
      const status = await request(node.base, 'GET', '/api/v1/node/status', { token: node.operator });
      expect(status.body.link.state).toBe('unreachable');
      expect(status.body.outbox.pending).toBeGreaterThanOrEqual(1);
    }

    top = await startTopLevel(topDb.url, grpcPort);
    for (const filing of pendingFilings) await activeApplication(filing.node, filing.id, 60_000);
    for (const node of [nodes.near, nodes.far]) {
      await waitFor('an empty outbox', async () => (await node.db.client.query(`SELECT 1 FROM upstream_outbox WHERE status <> 'delivered'`)).rowCount === 0, { timeoutMs: 60_000, intervalMs: 200 });
    }

    // Every filing was received once (replays of the same client transaction change nothing).
    for (const filing of pendingFilings) {
      const detail = await topGet(top, `/api/v1/filings/${filing.prefix}`);
      expect(detail).toMatchObject({ status: 'approved' });
      expect(detail.transactions.filter((t: { operation: string }) => /create/i.test(String(t.operation)))).toHaveLength(1);
    }
    // Each node's reported volumes at the top level equal what it counted in the periods it reported: nothing lost, nothing twice
    // (homed prefixes under their own name, the rest — foreign prefixes resolved here included — under '-').
    for (const [nodeId, node] of [['node-88.118', nodes.near], ['node-88.200', nodes.far]] as const) {
      const reported = (await node.db.client.query(`SELECT min((payload->>'periodStartMs')::bigint) AS start, max((payload->>'periodEndMs')::bigint) AS end FROM upstream_outbox WHERE kind = 'statistics-report'`)).rows[0];
      const counted = (
        await node.db.client.query(
          `SELECT coalesce(sum(count) FILTER (WHERE kind = 'resolution' AND outcome IN ('l1','l2','db','not_found')), 0)::int AS resolutions
             FROM usage_counts WHERE minute >= to_timestamp($1 / 1000.0) AND minute < to_timestamp($2 / 1000.0)`,
          [reported.start, reported.end],
        )
      ).rows[0].resolutions;
      const volumes = await topGet(top, `/api/v1/volumes?nodeId=${nodeId}&groupBy=prefix`);
      const atTop = volumes.items.reduce((sum: number, item: { resolutions: number; notFound: number }) => sum + Number(item.resolutions) + Number(item.notFound), 0);
      expect(atTop).toBe(counted);
      expect(atTop).toBeGreaterThanOrEqual(5);
      const status = await request(node.base, 'GET', '/api/v1/node/status', { token: node.operator });
      expect(status.body.lastReport).toMatchObject({ status: 'delivered' });
    }
  }, 300_000);
});
