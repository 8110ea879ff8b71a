import 'reflect-metadata';
import { HandleProtocolServer } from '../../apps/secondary-node/src/handle-protocol/handle-protocol.server';
import { HeartbeatTask } from '../../apps/secondary-node/src/upstream/heartbeat-task';
import { TopLevelLink } from '../../apps/secondary-node/src/upstream/top-level-link';
import { buildRequest, FLAG_DNRF, FLAG_PO, FLAG_REC, parseReply, parseSite, type Reply, udpExchange } from '../support/handle-wire-client';
import { TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { ENROLMENT_TOKEN, FAST_LINK_ENV, TopLevelUnderTest } from './upstream-harness';

jest.setTimeout(120_000);

/**
 * Service referrals of the Handle protocol across nodes (issue 15 item 2), with the timing of a
 * real deployment: heartbeats an hour apart, so only the heartbeat sent when the listeners bind can
 * tell the top level where they are. 88.118 (near) is asked; 88.200 (far) holds the identifier and
 * binds its Handle listeners only after near has cached a referral to it without them.
 */
describe('Handle protocol service referrals between nodes', () => {
  let top: TopLevelUnderTest;
  let near: TestNode;
  let far: TestNode;
  let farHandlePort: number;
  let nextId = 7000;

  const LINK_ENV = { ...FAST_LINK_ENV, UPSTREAM_HEARTBEAT_INTERVAL_MS: '3600000', HANDLE_PROTOCOL_PORT: '0', HANDLE_PROTOCOL_HOST: '127.0.0.1' };

  async function ask(handle: string, opFlags: number): Promise<Reply> {
    const requestId = (nextId += 1);
    const result = await udpExchange(near.handlePort as number, [buildRequest({ requestId, handle, opFlags })], requestId);
    expect(result.whole).toBeDefined();
    const reply = parseReply(result.whole as Buffer);
    expect(reply.requestId).toBe(requestId);
    return reply;
  }

  async function farEndpointsAtTop(): Promise<Array<{ kind: string; url: string }>> {
    const rows = await top.db.client.query(`SELECT endpoints FROM nodes WHERE node_id = 'node-far'`);
    expect(rows.rowCount).toBe(1);
    return rows.rows[0].endpoints;
  }

  beforeAll(async () => {
    top = await TopLevelUnderTest.start({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '0' });
    [near, far] = await Promise.all([
      TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-near', SECONDARY_PREFIX: '88.118', ...LINK_ENV }),
      TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-far', SECONDARY_PREFIX: '88.200', ...LINK_ENV }, { deferHandleProtocol: true }),
    ]);
    const operator = await far.operatorToken();
    const enterprise = await far.approvedEnterprise('88.200.5', 'far-ent');
    await waitFor('88.200.5 to be active on the far node', async () => (await far.request('GET', `/api/v1/enterprises/applications/${enterprise.applicationId}`, { token: operator })).body.status === 'active', { timeoutMs: 20_000 });
    const put = await far.request('PUT', '/api/handles/88.200.5/REF-1', { token: enterprise.token, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://far.example.cn/ref-1' } }] } });
    expect([200, 201]).toContain(put.status);
    await waitFor('the near node to be enrolled', async () => near.app.get(TopLevelLink).enrolment !== undefined, { timeoutMs: 20_000 });
    await waitFor('the far node’s first heartbeat', async () => far.app.get(HeartbeatTask).lastAckAt !== undefined, { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await near?.stop();
    await far?.stop();
    await top?.stop();
  });

  it('without Handle listeners on the far node, a request without recursion is resolved for the client (there is no site to refer to)', async () => {
    expect((await farEndpointsAtTop()).map((e) => e.kind)).not.toContain('handle-tcp');
    const reply = await ask('88.200.5/REF-1', FLAG_PO);
    expect(reply).toMatchObject({ responseCode: 1, handle: '88.200.5/REF-1' });
    expect(reply.values?.map((v) => [v.type, v.data.toString()])).toEqual([['URL', 'https://far.example.cn/ref-1']]);
  });

  it('binding the far node’s listeners sends one heartbeat at once, and the top level learns their address', async () => {
    const heartbeat = far.app.get(HeartbeatTask);
    const before = heartbeat.lastSequence as number;
    expect(before).toBeGreaterThanOrEqual(1);
    const bound = await far.app.get(HandleProtocolServer).listen();
    farHandlePort = bound?.port as number;
    expect(farHandlePort).toBeGreaterThan(0);
    // An hour before the next periodic heartbeat: only the one sent on the change can bring them.
    await waitFor('the far node’s Handle endpoints at the top level', async () => (await farEndpointsAtTop()).some((e) => e.kind === 'handle-udp'), { timeoutMs: 10_000, intervalMs: 50 });
    expect(await farEndpointsAtTop()).toEqual(
      expect.arrayContaining([
        { kind: 'handle-tcp', url: `127.0.0.1:${farHandlePort}` },
        { kind: 'handle-udp', url: `127.0.0.1:${farHandlePort}` },
        { kind: 'handle-rest', url: far.baseUrl },
      ]),
    );
    expect(heartbeat.lastSequence).toBe(before + 1);

    // Announcing the same endpoints again is no change: no heartbeat is asked for.
    const link = far.app.get(TopLevelLink);
    let changes = 0;
    link.onEndpointsChanged(() => (changes += 1));
    link.announceEndpoints([{ kind: 'handle-udp', url: `127.0.0.1:${farHandlePort}` }]);
    expect(changes).toBe(0);
    expect(link.endpoints().filter((e) => e.kind.startsWith('handle-'))).toHaveLength(3);
  });

  it('the referral near cached without them is asked again, and a request without recursion is then referred to the far node’s HS_SITE', async () => {
    // Near's cached answer (top-level TTL 300 s) lacks the Handle endpoints: it is refreshed within seconds, not minutes.
    const referred = await waitFor(
      'a service referral from the near node',
      async () => {
        const reply = await ask('88.200.5/REF-1', FLAG_PO);
        return reply.responseCode === 302 ? reply : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(referred).toMatchObject({ responseCode: 302, handle: '0.NA/88.200.5' });
    expect(referred.values?.map((v) => v.type)).toEqual(['HS_SITE']);
    const site = parseSite(referred.values?.[0].data as Buffer);
    expect(site.servers).toHaveLength(1);
    expect(site.servers[0].address.subarray(12).join('.')).toBe('127.0.0.1');
    expect(site.servers[0].interfaces).toEqual(expect.arrayContaining([{ type: 2, protocol: 1, port: farHandlePort }, { type: 2, protocol: 0, port: farHandlePort }]));

    // Recursion asked for, or referrals refused (DNRF): still answered by near, from its cache.
    for (const flags of [FLAG_REC | FLAG_PO, FLAG_DNRF | FLAG_PO]) {
      const resolved = await ask('88.200.5/REF-1', flags);
      expect(resolved).toMatchObject({ responseCode: 1, handle: '88.200.5/REF-1' });
      expect(resolved.opFlags & (FLAG_REC | FLAG_DNRF)).toBe(flags & (FLAG_REC | FLAG_DNRF));
    }
    // The prepared reply those left behind does not answer the next request without recursion: it is referred again.
    expect(await ask('88.200.5/REF-1', FLAG_PO)).toMatchObject({ responseCode: 302, handle: '0.NA/88.200.5' });

    // The far node answers what near referred.
    const requestId = (nextId += 1);
    const direct = parseReply((await udpExchange(farHandlePort, [buildRequest({ requestId, handle: '88.200.5/REF-1', opFlags: FLAG_PO })], requestId)).whole as Buffer);
    expect(direct).toMatchObject({ requestId, responseCode: 1, handle: '88.200.5/REF-1' });
    expect(direct.values?.map((v) => [v.type, v.data.toString()])).toEqual([['URL', 'https://far.example.cn/ref-1']]);
  });

  it('a prefix nobody filed is not found, and near’s own prefixes are never referred', async () => {
    expect(await ask('88.999.1/none', FLAG_PO)).toMatchObject({ responseCode: 100 });
    expect(await ask('88.118.404/none', FLAG_PO)).toMatchObject({ responseCode: 100 });
    expect(await ask('not a handle', FLAG_PO)).toMatchObject({ responseCode: 102 });
  });
});
