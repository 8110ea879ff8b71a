import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { createNodeApp } from '../../apps/secondary-node/src/bootstrap';
import { answerHeader, publicKeyValue, pyhandleBasic, secretKeyMarker, sessionHeader } from '../support/handle-auth-client';
import { freePort } from '../support/free-port';
import { request } from '../support/http';
import { type EnterpriseFixture, JWT_SECRET, OPERATOR_PASSWORD, TestNode } from '../support/test-node';

/**
 * Handle sessions with REDIS_URL set: two replicas on one PostgreSQL and one Redis (the real one on
 * 127.0.0.1:6379) behind an imagined load balancer. A session opened on one is answered on the
 * other and used on both; its nonce is single-use across replicas; ending it on one ends it on both.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const URL_VALUE = (value: string) => [{ index: 1, type: 'URL', data: { format: 'string', value } }];

describe('Handle sessions shared by replicas through Redis', () => {
  const keyPrefix = `idis-test-${randomUUID()}:`;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let a: TestNode;
  let bApp: NestFastifyApplication;
  let bUrl: string;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    a = await TestNode.start({ REDIS_URL, REDIS_KEY_PREFIX: keyPrefix });
    const config = loadAppConfig({
      DATABASE_URL: a.db.url,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      LOG_LEVEL: 'error',
      SECONDARY_PREFIX: '88.118',
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
    });
    bApp = await createNodeApp(config, a.db.url);
    await bApp.listen(0, '127.0.0.1');
    const address = bApp.getHttpServer().address();
    bUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    acme = await a.approvedEnterprise('88.118.8', 'acme');
    const admin = await a.request('PUT', '/api/handles/88.118.8/ADMIN', { token: acme.token, body: [publicKeyValue(301, rsa.publicKey)] });
    expect(admin.status).toBe(200);
  });

  afterAll(async () => {
    await bApp?.close();
    await a?.stop();
    // Remove what this test left in the shared Redis (only its own key prefix).
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a session opened on A is answered on B and writes through both; the answer cannot be replayed on A', async () => {
    const opened = await a.request('POST', '/api/sessions');
    expect(opened.status).toBe(201);
    const { sessionId, nonce } = opened.body as { sessionId: string; nonce: string };
    const header = answerHeader({ sessionId, nonce, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey });

    const answered = await request(bUrl, 'PUT', '/api/sessions/this', { headers: { authorization: header } });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ sessionId, authenticated: true, id: '301:88.118.8/ADMIN' });
    const replayed = await a.request('PUT', '/api/sessions/this', { headers: { authorization: header } });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toEqual({ responseCode: 402, message: expect.any(String) });

    const headers = { authorization: sessionHeader(sessionId) };
    expect((await a.request('PUT', '/api/handles/88.118.8/replica-a', { headers, body: URL_VALUE('https://acme.example.cn/a') })).status).toBe(200);
    expect((await request(bUrl, 'PUT', '/api/handles/88.118.8/replica-b', { headers, body: URL_VALUE('https://acme.example.cn/b') })).status).toBe(200);
    const status = await a.request('GET', '/api/sessions/this', { headers });
    expect(status.body).toEqual({ sessionId, nonce: expect.any(String), authenticated: true, id: '301:88.118.8/ADMIN' });

    // Ended on B: refused on A.
    expect((await request(bUrl, 'DELETE', '/api/sessions/this', { headers })).status).toBe(204);
    const after = await a.refused('PUT', '/api/handles/88.118.8/replica-after', { headers, body: URL_VALUE('https://acme.example.cn/x') });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/Handle realm="handle", sessionId="[^"]+", nonce="[^"]+"/);
  });

  it('the same answer sent to both replicas at once authenticates exactly once (the nonce is consumed atomically)', async () => {
    const opened = await a.request('POST', '/api/sessions');
    const header = answerHeader({ ...(opened.body as { sessionId: string; nonce: string }), id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey });
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => request(i % 2 === 0 ? a.baseUrl : bUrl, 'PUT', '/api/sessions/this', { headers: { authorization: header } })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('keeps sessions in Redis under the key prefix, with a TTL (no session lives forever)', async () => {
    const opened = await request(bUrl, 'POST', '/api/sessions');
    const redis = new Redis(REDIS_URL);
    try {
      const ttl = await redis.pttl(`${keyPrefix}handle-session:${opened.body.sessionId}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300_000);
    } finally {
      redis.disconnect();
    }
  });
});

describe('Handle sessions while Redis is unreachable', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_COMMAND_TIMEOUT_MS: '200' });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    const admin = await node.request('PUT', '/api/handles/88.118.8/ADMIN', { token: acme.token, body: [secretKeyMarker(300)] });
    expect(admin.status).toBe(200);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('refuses session requests with 503 (never lets one through); Basic and bearer writes still work', async () => {
    const opened = await node.request('POST', '/api/sessions');
    expect(opened.status).toBe(503);
    expect(opened.body).toEqual({ responseCode: 2, message: expect.stringContaining('Redis') });
    const write = await node.refused('PUT', '/api/handles/88.118.8/no-redis', { headers: { authorization: sessionHeader('some-session') }, body: URL_VALUE('https://x.example.cn/') });
    expect(write.status).toBe(503);

    const anonymous = await node.refused('PUT', '/api/handles/88.118.8/no-redis', { body: URL_VALUE('https://x.example.cn/') });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="idis", Basic realm="handle", Handle realm="handle"');

    const basic = await node.request('PUT', '/api/handles/88.118.8/no-redis', { headers: { authorization: pyhandleBasic('300:88.118.8/ADMIN', acme.password) }, body: URL_VALUE('https://x.example.cn/') });
    expect(basic.status).toBe(200);
    const bearer = await node.request('PUT', '/api/handles/88.118.8/no-redis-bearer', { token: acme.token, body: URL_VALUE('https://x.example.cn/') });
    expect(bearer.status).toBe(200);
  });
});
