import { randomBytes } from 'node:crypto';
import { metricSample } from '../support/metrics-text';
import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ANSWERS = 'idis_resolution_fast_path_answers_total';

async function fastPathAnswers(node: TestNode): Promise<number> {
  const metrics = await node.request('GET', '/metrics');
  expect(metrics.status).toBe(200);
  const value = metricSample(metrics.text, ANSWERS);
  if (value === undefined) throw new Error(`${ANSWERS} is missing from /metrics`);
  return value;
}

/** Every header but the ones that name the moment (date) or the connection. */
function headersOf(reply: HttpReply): Record<string, string> {
  const kept: Record<string, string> = {};
  reply.headers.forEach((value, name) => {
    if (name !== 'date' && name !== 'connection' && name !== 'keep-alive') kept[name] = value;
  });
  return kept;
}

/**
 * The fast path (resolution/resolution-fast-path.ts) answers anonymous Handle REST L1 hits before
 * Fastify routes them. What it writes must be what the route writes: the same request with an
 * empty query string (`?`), which the fast path leaves to the route, is the reference.
 */
describe('resolution fast path: L1 hits answered before routing', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ REDIS_URL, REDIS_KEY_PREFIX: `it-fp-${randomBytes(4).toString('hex')}:` });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    const put = await node.request('PUT', '/api/handles/88.118.8/FP-1', {
      token: acme.token,
      body: [
        { index: 1, type: 'URL', data: 'https://acme.example.cn/fp/1' },
        { index: 2, type: 'EMAIL', data: 'owner@acme.example.cn', permissions: '1100' },
      ],
    });
    expect(put.status).toBeLessThan(300);
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('answers a repeated anonymous GET itself, with the bytes and headers the route gives', async () => {
    const first = await node.request('GET', '/api/handles/88.118.8/fp-1');
    expect(first.status).toBe(200);
    const before = await fastPathAnswers(node);
    const fast = await node.request('GET', '/api/handles/88.118.8/fp-1');
    expect(await fastPathAnswers(node)).toBe(before + 1);
    const routed = await node.request('GET', '/api/handles/88.118.8/fp-1?publicOnly=true');
    expect(await fastPathAnswers(node)).toBe(before + 1);

    expect(fast.status).toBe(200);
    expect(fast.text).toBe(routed.text);
    expect(headersOf(fast)).toEqual(headersOf(routed));
    // The spelling asked for, public values only; the security headers of an API reply.
    expect(fast.body).toEqual({ responseCode: 1, handle: '88.118.8/fp-1', values: [expect.objectContaining({ index: 1, type: 'URL' })] });
    expect(fast.headers.get('etag')).toMatch(/^".+"$/);
    expect(fast.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(fast.headers.get('x-content-type-options')).toBe('nosniff');
    expect(fast.headers.get('content-length')).toBe(String(Buffer.byteLength(fast.text)));
  });

  it('answers If-None-Match with 304 and the same headers as the route', async () => {
    const etag = (await node.request('GET', '/api/handles/88.118.8/FP-1')).headers.get('etag') as string;
    const before = await fastPathAnswers(node);
    const fast = await node.request('GET', '/api/handles/88.118.8/FP-1', { headers: { 'if-none-match': etag } });
    const routed = await node.request('GET', '/api/handles/88.118.8/FP-1?publicOnly=true', { headers: { 'if-none-match': etag } });
    expect(await fastPathAnswers(node)).toBe(before + 1);
    expect([fast.status, routed.status]).toEqual([304, 304]);
    expect(fast.text).toBe('');
    expect(headersOf(fast)).toEqual(headersOf(routed));
  });

  it('answers a remembered unknown identifier with the route’s 404', async () => {
    expect((await node.request('GET', '/api/handles/88.118.8/FP-NONE')).status).toBe(404);
    const before = await fastPathAnswers(node);
    const fast = await node.request('GET', '/api/handles/88.118.8/FP-NONE');
    const routed = await node.request('GET', '/api/handles/88.118.8/FP-NONE?publicOnly=true');
    expect(await fastPathAnswers(node)).toBe(before + 1);
    expect([fast.status, routed.status]).toEqual([404, 404]);
    expect(fast.body).toMatchObject({ responseCode: 100, handle: '88.118.8/FP-NONE' });
    expect(fast.text).toBe(routed.text);
    expect(headersOf(fast)).toEqual(headersOf(routed));
  });

  it('leaves to the route what it does not fully know: credentials, filters, HEAD, NUL, a bad handle, X-IDIS-Via', async () => {
    await node.request('GET', '/api/handles/88.118.8/FP-1');
    const before = await fastPathAnswers(node);
    // The owner sees the admin-only value: the route's view, not the fast path's public bytes.
    const owner = await node.request('GET', '/api/handles/88.118.8/FP-1', { token: acme.token });
    expect(owner.status).toBe(200);
    expect(owner.body.values.map((v: { index: number }) => v.index)).toEqual([1, 2]);
    const filtered = await node.request('GET', '/api/handles/88.118.8/FP-1?index=1');
    expect(filtered.body.values.map((v: { index: number }) => v.index)).toEqual([1]);
    expect((await node.request('HEAD', '/api/handles/88.118.8/FP-1')).status).toBe(200);
    const nul = await node.request('GET', '/api/handles/88.118.8/FP%00-1');
    expect(nul.status).toBe(400);
    expect((await node.request('GET', '/api/handles/no-slash-here')).status).toBe(400);
    const refused = await node.request('GET', '/api/handles/88.118.8/FP-1', { token: 'not-a-token' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await node.request('GET', '/api/handles/88.118.8/FP-1', { headers: { 'x-idis-via': 'node-a' } })).status).toBe(200);
    expect(await fastPathAnswers(node)).toBe(before);
  });
});

describe('resolution fast path and the anonymous-resolution limit', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({
      REDIS_URL,
      REDIS_KEY_PREFIX: `it-fpl-${randomBytes(4).toString('hex')}:`,
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMIT_RESOLUTION: '5/1m',
      TRUSTED_PROXIES: '127.0.0.1,::1',
      RATE_LIMIT_LOGIN_USERNAME: 'off',
      RATE_LIMIT_LOGIN_IP: 'off',
    });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    for (const suffix of ['L-1', 'L-2']) {
      const put = await node.request('PUT', `/api/handles/88.118.8/${suffix}`, { token: acme.token, body: [{ index: 1, type: 'URL', data: `https://acme.example.cn/${suffix}` }] });
      expect(put.status).toBeLessThan(300);
    }
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('counts each request once, whether the fast path answered it or handed it to the route', async () => {
    const from = { 'x-forwarded-for': '198.51.100.77' };
    const before = await fastPathAnswers(node);
    // L-1 and L-2: an L1 miss each (counted by the fast path, answered by the route), then hits.
    const statuses: number[] = [];
    for (const suffix of ['L-1', 'L-2', 'L-1', 'L-2', 'L-1', 'L-1', 'L-2']) {
      statuses.push((await node.request('GET', `/api/handles/88.118.8/${suffix}`, { headers: from })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(await fastPathAnswers(node)).toBe(before + 3);
    // Another address has its own five.
    expect((await node.request('GET', '/api/handles/88.118.8/L-1', { headers: { 'x-forwarded-for': '198.51.100.78' } })).status).toBe(200);
  });
});

describe('resolution fast path off where the route adds something per request', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ CORS_ORIGINS: 'https://console.example.cn' });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    const put = await node.request('PUT', '/api/handles/88.118.8/C-1', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://acme.example.cn/c' }] });
    expect(put.status).toBeLessThan(300);
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('with CORS, every resolution goes through the route and carries its CORS headers', async () => {
    const origin = { origin: 'https://console.example.cn' };
    for (let i = 0; i < 3; i += 1) {
      const reply = await node.request('GET', '/api/handles/88.118.8/C-1', { headers: origin });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('access-control-allow-origin')).toBe('https://console.example.cn');
    }
    expect(await fastPathAnswers(node)).toBe(0);
  });
});
