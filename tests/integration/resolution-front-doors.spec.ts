import { randomBytes } from 'node:crypto';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Every read front door over the one resolution service, on a node with L1 and a real Redis L2:
 * Handle REST GET, the proxy (302 / ?noredirect / not-found pages), SNMS detail, HTTP validators,
 * and per-prefix counting of what answered.
 */
describe('resolution front doors', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ REDIS_URL, REDIS_KEY_PREFIX: `it-fd-${randomBytes(4).toString('hex')}:`, STATS_FLUSH_INTERVAL_MS: '600000' });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    const put = (handle: string, values: unknown[]) => node.request('PUT', `/api/handles/${handle}`, { token: acme.token, body: values });
    await put('88.118.8/Wrench-1', [
      { index: 1, type: 'URL', data: 'https://tools.example.cn/p/1', ttl: 600 },
      { index: 2, type: 'EMAIL', data: 'sales@tools.example.cn' },
      { index: 3, type: 'COST', data: '42.00', permissions: '1100' },
      { index: 5, type: 'URL', data: 'https://mirror.example.cn/p/1' },
    ]);
    await put('88.118.8/no-url', [{ index: 1, type: 'DESC', data: '<b>bold</b> & "quoted"' }]);
    await put('88.118.8/unsafe', [{ index: 1, type: 'URL', data: 'javascript:alert(1)' }]);
    await put('88.118.8/uncached', [{ index: 1, type: 'URL', data: 'https://zero.example.cn', ttl: 0 }]);
  });
  afterAll(async () => {
    await node?.stop();
  });

  describe('Handle REST GET caching headers', () => {
    it('sends Cache-Control from the smallest TTL, an ETag, and 304 for a matching If-None-Match', async () => {
      const first = await node.request('GET', '/api/handles/88.118.8/Wrench-1');
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toMatch(/^public, max-age=(600|599|598)$/);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^".+"$/);
      const again = await node.request('GET', '/api/handles/88.118.8/Wrench-1', { headers: { 'if-none-match': etag as string } });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
    });

    it('changes the ETag when the record changes, so an old validator no longer matches', async () => {
      const before = (await node.request('GET', '/api/handles/88.118.8/no-url')).headers.get('etag') as string;
      await node.request('PUT', '/api/handles/88.118.8/no-url?index=2', { token: acme.token, body: [{ index: 2, type: 'NOTE', data: 'new' }] });
      const after = await node.request('GET', '/api/handles/88.118.8/no-url', { headers: { 'if-none-match': before } });
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).not.toBe(before);
      expect(after.body.values.map((v: { index: number }) => v.index)).toEqual([1, 2]);
    });

    it('marks private views private and a TTL of 0 as no-cache', async () => {
      const owner = await node.request('GET', '/api/handles/88.118.8/Wrench-1', { token: acme.token });
      expect(owner.headers.get('cache-control')).toMatch(/^private, max-age=/);
      expect(owner.body.values.map((v: { index: number }) => v.index)).toEqual([1, 2, 3, 5]);
      expect((await node.request('GET', '/api/handles/88.118.8/uncached')).headers.get('cache-control')).toBe('no-cache');
    });

    it('caches a not-found for the negative TTL and forgets it when the identifier is created', async () => {
      const missing = await node.request('GET', '/api/handles/88.118.8/later');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ responseCode: 100, handle: '88.118.8/later' });
      expect(missing.headers.get('cache-control')).toBe('public, max-age=30');
      await node.request('PUT', '/api/handles/88.118.8/later', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://later.example.cn' }] });
      expect((await node.request('GET', '/api/handles/88.118.8/later')).status).toBe(200);
    });
  });

  describe('proxy GET /{prefix}/{suffix}', () => {
    it('redirects (302) to the first URL value and sends the caching headers', async () => {
      const reply = await node.request('GET', '/88.118.8/wrench-1');
      expect(reply.status).toBe(302);
      expect(reply.headers.get('location')).toBe('https://tools.example.cn/p/1');
      expect(reply.headers.get('cache-control')).toMatch(/^public, max-age=/);
    });

    it('?index= picks the URL at that index', async () => {
      const reply = await node.request('GET', '/88.118.8/Wrench-1?index=5');
      expect(reply.status).toBe(302);
      expect(reply.headers.get('location')).toBe('https://mirror.example.cn/p/1');
    });

    it('?noredirect shows the record: HTML for a browser, JSON for Accept: application/json', async () => {
      const html = await node.request('GET', '/88.118.8/Wrench-1?noredirect', { headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(html.status).toBe(200);
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
      expect(html.text).toContain('Handle 88.118.8/Wrench-1');
      expect(html.text).toContain('https://tools.example.cn/p/1');
      expect(html.text).not.toContain('42.00');
      const json = await node.request('GET', '/88.118.8/Wrench-1?noredirect', { headers: { accept: 'application/json' } });
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(json.body.responseCode).toBe(1);
      expect(json.body.values.map((v: { index: number }) => v.index)).toEqual([1, 2, 5]);
    });

    it('shows the record (escaped) when it has no URL value, and never redirects to a non-web scheme', async () => {
      const page = await node.request('GET', '/88.118.8/no-url');
      expect(page.status).toBe(200);
      expect(page.text).toContain('&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;');
      expect(page.text).not.toContain('<b>bold</b>');
      const unsafe = await node.request('GET', '/88.118.8/unsafe');
      expect(unsafe.status).toBe(200);
      expect(unsafe.headers.get('location')).toBeNull();
    });

    it('says whether the identifier or the prefix is unknown', async () => {
      const handle = await node.request('GET', '/88.118.8/nothing-here');
      expect(handle.status).toBe(404);
      expect(handle.text).toContain('Handle not found');
      expect(handle.text).toContain('is served by this node');
      const prefix = await node.request('GET', '/88.200.5/anything');
      expect(prefix.status).toBe(404);
      expect(prefix.text).toContain('Prefix not found');
      const json = await node.request('GET', '/88.200.5/anything', { headers: { accept: 'application/json' } });
      expect(json.body).toMatchObject({ responseCode: 100, prefixKnown: false });
    });

    it('does not shadow the API: non-prefix paths are plain 404s and /health still answers', async () => {
      expect((await node.request('GET', '/health')).status).toBe(200);
      const other = await node.request('GET', '/favicon.ico/x');
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await node.request('GET', '/docs/openapi.json')).status).toBe(200);
    });

    it('refuses an invalid identifier with 400', async () => {
      const reply = await node.request('GET', '/88..8/x');
      expect(reply.status).toBe(400);
    });
  });

  describe('SNMS detail through the caches', () => {
    it('serves the record and sees a write at once', async () => {
      const before = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/Wrench-1');
      expect(before.body.data.value.map((v: { index: number }) => v.index)).toEqual([1, 2, 5]);
      await node.request('PUT', '/api/handles/88.118.8/Wrench-1?index=2', { token: acme.token, body: [{ index: 2, type: 'EMAIL', data: 'new@tools.example.cn' }] });
      const after = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/Wrench-1');
      expect(after.body.data.value.find((v: { index: number }) => v.index === 2).data.value).toBe('new@tools.example.cn');
    });
  });

  describe('counting', () => {
    it('counts resolutions per prefix by the tier that answered, and registrations', async () => {
      for (let i = 0; i < 3; i += 1) await node.request('GET', '/api/handles/88.118.8/counted');
      await node.request('PUT', '/api/handles/88.118.8/counted', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://c.example.cn' }] });
      for (let i = 0; i < 4; i += 1) await node.request('GET', '/api/handles/88.118.8/counted');
      const operator = await node.operatorToken();
      const from = new Date(Date.now() - 3600_000).toISOString();
      const to = new Date(Date.now() + 120_000).toISOString();
      const stats = await node.request('GET', `/api/v1/stats/resolutions?from=${from}&to=${to}&step=1h&prefix=88.118.8`, { token: operator });
      expect(stats.status).toBe(200);
      expect(stats.body.totals.notFound).toBeGreaterThanOrEqual(3);
      expect(stats.body.totals.db).toBeGreaterThanOrEqual(1);
      expect(stats.body.totals.l1).toBeGreaterThanOrEqual(3);
      const registrations = await node.request('GET', `/api/v1/stats/registrations?from=${from}&to=${to}&step=1h&prefix=88.118.8`, { token: operator });
      expect(registrations.body.totals.create).toBeGreaterThanOrEqual(5);
      const metrics = await node.request('GET', '/metrics');
      expect(metrics.text).toMatch(/idis_resolution_duration_seconds_bucket\{[^}]*tier="l1"/);
    });
  });

  it('reports the cache state on /health', async () => {
    const health = await node.request('GET', '/health', { token: await node.operatorToken() });
    expect(health.body).toMatchObject({ status: 'ok', checks: { cache: { redis: 'up', invalidationChannel: 'up' } } });
  });
});
