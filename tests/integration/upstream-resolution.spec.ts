import 'reflect-metadata';
import { RemoteResolver } from '../../apps/secondary-node/src/resolution/remote-resolver';
import { TestNode } from '../support/test-node';
import { ENROLMENT_TOKEN, FAST_LINK_ENV, TopLevelUnderTest, waitFor } from './upstream-harness';

jest.setTimeout(120_000);

/** Two secondary nodes (88.118 and 88.200) on one top level, each in-process on its own database. */
describe('cross-node resolution', () => {
  let top: TopLevelUnderTest;
  let near: TestNode; // 88.118: where the foreign identifiers are asked for
  let far: TestNode; // 88.200: where they are registered

  const URL_VALUE = (url: string) => ({ index: 1, type: 'URL', data: { format: 'string', value: url } });

  beforeAll(async () => {
    top = await TopLevelUnderTest.start({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '0', RESOLVE_NOT_FOUND_TTL_SECONDS: '1' });
    [near, far] = await Promise.all([
      TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-near', SECONDARY_PREFIX: '88.118', ...FAST_LINK_ENV }),
      TestNode.start({ TOP_LEVEL_URL: top.grpc, ENROLMENT_TOKEN, NODE_ID: 'node-far', SECONDARY_PREFIX: '88.200', ...FAST_LINK_ENV }),
    ]);
    const operator = await far.operatorToken();
    const enterprise = await far.approvedEnterprise('88.200.5', 'far-ent');
    await waitFor('88.200.5 to be active on the far node', async () => {
      const reply = await far.request('GET', `/api/v1/enterprises/applications/${enterprise.applicationId}`, { token: operator });
      return reply.body.status === 'active';
    });
    for (const suffix of ['X', 'Y', 'Z']) {
      const put = await far.request('PUT', `/api/handles/88.200.5/${suffix}`, { token: enterprise.token, body: { values: [URL_VALUE(`https://far.example.cn/${suffix}`)] } });
      expect([200, 201]).toContain(put.status);
    }
    await waitFor('the near node to be enrolled', async () => (await near.request('GET', '/api/v1/node/status', { token: await near.operatorToken() })).body.enrolment);
  });

  afterAll(async () => {
    await near?.stop();
    await far?.stop();
    await top?.stop();
  });

  it('resolves another node’s identifier through the Handle REST API and the proxy, then from the cache', async () => {
    const rest = await near.request('GET', '/api/handles/88.200.5/X');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ responseCode: 1, handle: '88.200.5/X', values: [expect.objectContaining({ index: 1, type: 'URL', data: { format: 'string', value: 'https://far.example.cn/X' } })] });

    const proxy = await near.request('GET', '/88.200.5/X');
    expect(proxy.status).toBe(302);
    expect(proxy.headers.get('location')).toBe('https://far.example.cn/X');

    // Served from the near node's cache now: the far node changing its record is not seen until the TTL ends.
    const farOperator = await far.operatorToken();
    const del = await far.request('DELETE', '/api/handles/88.200.5/X', { token: farOperator });
    expect([200, 204]).toContain(del.status);
    expect((await far.request('GET', '/api/handles/88.200.5/X')).status).toBe(404);
    expect((await near.request('GET', '/api/handles/88.200.5/X')).status).toBe(200);
  });

  it('a foreign identifier that does not exist is a clean not-found naming the serving node', async () => {
    const rest = await near.request('GET', '/api/handles/88.200.5/NOPE');
    expect(rest.status).toBe(404);
    expect(rest.body).toMatchObject({ responseCode: 100, handle: '88.200.5/NOPE' });
    const page = await near.request('GET', '/88.200.5/NOPE2');
    expect(page.status).toBe(404);
    expect(page.text).toMatch(/served by node <code>node-far<\/code>, which has no such identifier/);
  });

  it('an unknown prefix is a clean not-found and the proxy page says the prefix is unknown', async () => {
    const rest = await near.request('GET', '/api/handles/88.999.1/A');
    expect(rest.status).toBe(404);
    expect(rest.body).toMatchObject({ responseCode: 100 });
    const page = await near.request('GET', '/88.999.1/B');
    expect(page.status).toBe(404);
    expect(page.text).toMatch(/Prefix <code>88\.999\.1<\/code> is unknown/);
    const json = await near.request('GET', '/88.999.1/C', { headers: { accept: 'application/json' } });
    expect(json.body).toMatchObject({ responseCode: 100, prefixKnown: false });
  });

  it('cuts loops and too long chains with HTTP 508 / Handle RC 6', async () => {
    const loop = await near.request('GET', '/api/handles/88.200.5/Y', { headers: { 'x-idis-via': 'node-far,node-near' } });
    expect(loop.status).toBe(508);
    expect(loop.body).toMatchObject({ responseCode: 6, message: expect.stringMatching(/loop/) });
    const long = await near.request('GET', '/api/handles/88.200.5/Y', { headers: { 'x-idis-via': 'a,b,c,d' } });
    expect(long.status).toBe(508);
    expect(long.body.message).toMatch(/too long/);
    const huge = await near.request('GET', '/api/handles/88.200.5/Y', { headers: { 'x-idis-via': 'n'.repeat(2000) } });
    expect(huge.status).toBe(508);
    // Local identifiers are never affected by the hop header.
    expect((await near.request('GET', '/api/handles/88.118.1/none', { headers: { 'x-idis-via': 'node-near' } })).status).toBe(404);
  });

  it('forwards the hop header, so the far node refuses to come back to a node already on the path', async () => {
    // The far node asked for a near-node identifier with the near node already on the path: it would loop.
    const reply = await far.request('GET', '/api/handles/88.118.9/loop', { headers: { 'x-idis-via': 'node-near' } });
    expect(reply.status).toBe(404); // 88.118.9 is not filed: the top level says unknown, so there is nowhere to go
    const looped = await far.request('GET', '/api/handles/88.118.9/loop-2', { headers: { 'x-idis-via': 'node-far' } });
    expect(looped.status).toBe(508);
  });

  it('with the top level down: a cached referral is still used; an unknown, uncached prefix is a 503', async () => {
    // The referral for 88.200.5 is cached; Z's record is not.
    await top.simulate({ down: true });
    try {
      const served = await near.request('GET', '/api/handles/88.200.5/Z');
      expect(served.status).toBe(200);
      expect(served.body.values[0].data.value).toBe('https://far.example.cn/Z');

      const unavailable = await near.request('GET', '/api/handles/88.201.1/A');
      expect(unavailable.status).toBe(503);
      expect(unavailable.body).toMatchObject({ responseCode: 2, message: expect.stringMatching(/top-level node cannot be reached/) });
      const snms = await near.request('GET', '/identityv2/data/detail?handle=88.201.1/A', { token: await near.operatorToken() });
      expect(snms.body.status).toBe(-4);
      expect(snms.status).toBe(503);
    } finally {
      await top.simulate({ down: false });
    }
    // Nothing was cached from the failure: once the top level is back the prefix is a plain not-found.
    near.app.get(RemoteResolver).forgetReferrals();
    expect((await near.request('GET', '/api/handles/88.201.1/A')).status).toBe(404);
  });
});
