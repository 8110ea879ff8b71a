import { freePort } from '../support/free-port';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

/** Through the HTTP front doors: Redis unreachable is a degraded node, not an outage. */
describe('a node whose Redis is unreachable', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    // A port nothing listens on: Redis "configured but unreachable".
    node = await TestNode.start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_COMMAND_TIMEOUT_MS: '200' });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('reports degraded on /health (200), naming the cache, while PostgreSQL is up', async () => {
    const health = await node.request('GET', '/health', { token: await node.operatorToken() });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded', checks: { database: { status: 'up' }, cache: { redis: 'down', invalidationChannel: 'down' } } });
  });

  it('still registers and resolves, from L1 and PostgreSQL, and sees its own writes at once', async () => {
    const put = await node.request('PUT', '/api/handles/88.118.8/still-here', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://v1.example.cn' }] });
    expect(put.status).toBe(200);
    const started = Date.now();
    for (let i = 0; i < 20; i += 1) expect((await node.request('GET', '/api/handles/88.118.8/still-here')).status).toBe(200);
    // 20 lookups must not each wait for the Redis command timeout (200 ms).
    expect(Date.now() - started).toBeLessThan(2000);
    await node.request('PUT', '/api/handles/88.118.8/still-here', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://v2.example.cn' }] });
    const after = await node.request('GET', '/api/handles/88.118.8/still-here');
    expect(after.body.values[0].data.value).toBe('https://v2.example.cn');
  });
});
