import 'reflect-metadata';
import { RemoteResolver } from '../../apps/secondary-node/src/resolution/remote-resolver';
import { StatisticsReporter } from '../../apps/secondary-node/src/upstream/statistics-reporter';
import { TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { ENROLMENT_TOKEN, FAST_LINK_ENV, TopLevelUnderTest } from './upstream-harness';

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
    }, { timeoutMs: 20_000 });
    for (const suffix of ['X', 'Y', 'Z']) {
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

  it('counts foreign resolutions under the foreign prefix for operators, and reports them upstream only under "-"', async () => {
    const operator = await near.operatorToken();
    const series = async (prefix: string) => near.request('GET', `/api/v1/stats/resolutions?prefix=${encodeURIComponent(prefix)}&step=1h`, { token: operator });
    const before = (await series('88.200.5')).body.totals ?? { l1: 0, db: 0, notFound: 0 };
    const farOperator = await far.operatorToken();
    const farDoors = async () => (await far.request('GET', '/api/v1/stats/doors?prefix=88.200.5&step=1h', { token: farOperator })).body.totals;
    const farBefore = await farDoors();

    expect((await near.request('GET', '/api/handles/88.200.5/Y')).status).toBe(200); // fetched from the far node
    expect((await near.request('GET', '/api/handles/88.200.5/Y')).status).toBe(200); // from L1
    expect((await near.request('GET', '/api/handles/88.200.5/COUNT-NONE')).status).toBe(404);
    expect((await near.request('GET', '/api/handles/88.999.7/A')).status).toBe(404); // unknown at the top level: stays in '-'

    const after = await series('88.200.5');
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ prefix: '88.200.5', scope: 'prefix' });
    expect(after.body.totals.db - (before.db ?? 0)).toBe(1);
    expect(after.body.totals.l1 - (before.l1 ?? 0)).toBe(1);
    expect(after.body.totals.notFound - (before.notFound ?? 0)).toBe(1);
    // The far node answered the two lookups the near node could not (Y, COUNT-NONE): cross-node, by X-IDIS-Via.
    const farAfter = await farDoors();
    expect([farAfter.crossNode - farBefore.crossNode, farAfter.handleRest - farBefore.handleRest]).toEqual([2, 0]);
    // A prefix nobody filed is not counted on its own (callers cannot grow the key space), and enterprises see only their own.
    const unknown = await series('88.999.7');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('PREFIX_NOT_FOUND');
    expect((await series('-')).body.totals.notFound).toBeGreaterThanOrEqual(1);
    expect((await near.request('GET', '/api/v1/stats/resolutions?prefix=88.200.5')).status).toBe(401);
    expect((await near.db.client.query(`SELECT DISTINCT prefix_key FROM usage_counts ORDER BY prefix_key`)).rows.map((r) => r.prefix_key)).toEqual(['-', '88.200.5']);

    // The report to the top level: 88.200.5 is the far node's prefix, so the near node reports it under '-' only.
    const reporter = near.app.get(StatisticsReporter);
    expect(await reporter.reportClosedPeriods(Date.now() + 3 * 60_000)).toBeGreaterThanOrEqual(1);
    const reports = (await near.db.client.query(`SELECT payload FROM upstream_outbox WHERE kind = 'statistics-report' ORDER BY (payload->>'sequence')::int`)).rows.map((r) => r.payload);
    const counted = (
      await near.db.client.query(
        `SELECT coalesce(sum(count) FILTER (WHERE outcome IN ('l1', 'l2', 'db')), 0)::int AS resolutions, coalesce(sum(count) FILTER (WHERE outcome = 'not_found'), 0)::int AS not_found
           FROM usage_counts WHERE kind = 'resolution'`,
      )
    ).rows[0];
    const volumes = reports.flatMap((r) => r.volumes);
    expect(volumes.map((v: { prefix: string }) => v.prefix)).not.toContain('88.200.5');
    expect(new Set(volumes.map((v: { prefix: string }) => v.prefix))).toEqual(new Set(['-']));
    expect(volumes.reduce((sum: number, v: { resolutions: number }) => sum + v.resolutions, 0)).toBe(counted.resolutions);
    expect(volumes.reduce((sum: number, v: { notFound: number }) => sum + v.notFound, 0)).toBe(counted.not_found);
    await waitFor('the reports delivered', async () => (await near.db.client.query(`SELECT 1 FROM upstream_outbox WHERE kind = 'statistics-report' AND status <> 'delivered'`)).rowCount === 0, { timeoutMs: 20_000 });
    const atTop = await top.http('GET', '/api/v1/volumes?groupBy=prefix&nodeId=node-near');
    expect(atTop.body.items.map((i: { prefix: string }) => i.prefix)).toEqual(['-']);
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
