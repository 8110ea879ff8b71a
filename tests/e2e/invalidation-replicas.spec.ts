import { randomBytes } from 'node:crypto';
import { request } from '../support/http';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { NodeProcess } from '../support/node-process';
import { waitForElapsed } from '../support/wait-for';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** How long a replica may keep answering with a record older than an acknowledged write. */
const PROPAGATION_BOUND_MS = 300;

/** The node's HTTP API (JSON replies only). */
function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  return request(base, method, path, { body, token, redirect: 'follow', requireJson: true });
}

/**
 * Two secondary-node processes on one PostgreSQL and one Redis. After a write acknowledged by
 * one replica, the other never answers with the old record once the pub/sub delivery bound has
 * passed — while it is being read continuously, so loads racing the write are exercised too.
 */
describe('cache invalidation across replicas', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  let baseA: string;
  let baseB: string;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase('e2e');
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
    };
    a = NodeProcess.spawn({ ...env, NODE_ID: 'replica-a' });
    baseA = await a.ready();
    b = NodeProcess.spawn({ ...env, NODE_ID: 'replica-b' });
    baseB = await b.ready();
    const operator = (await call(baseA, 'POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken;
    const application = await call(baseA, 'POST', '/api/v1/enterprises/applications', applicationBody('88.118.8', 'replicated'));
    await call(baseA, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {}, operator);
    token = (await call(baseB, 'POST', '/api/v1/auth/token', { username: 'replicated', password: 'enterprise-pass-1' })).body.accessToken;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  it('never serves an old record from the other replica after the write is acknowledged', async () => {
    const handle = '88.118.8/shared-1';
    expect((await call(baseA, 'PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: 'https://v0.example.cn' }], token)).status).toBe(200);
    expect((await call(baseB, 'GET', `/api/handles/${handle}`)).body.values[0].data.value).toBe('https://v0.example.cn');

    // A reader hammering replica B keeps its caches busy refilling while A writes.
    let reading = true;
    const reader = (async () => {
      while (reading) await call(baseB, 'GET', `/api/handles/${handle}`);
    })();

    const violations: string[] = [];
    try {
      for (let version = 1; version <= 25; version += 1) {
        const value = `https://v${version}.example.cn`;
        const put = await call(baseA, 'PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: value }], token);
        expect(put.status).toBe(200);
        const acknowledged = Date.now();
        // Poll B until it shows the new value; then keep checking for a while that it never goes back.
        let seenAt: number | undefined;
        while (Date.now() - acknowledged < PROPAGATION_BOUND_MS + 400) {
          const got = (await call(baseB, 'GET', `/api/handles/${handle}`)).body.values[0].data.value;
          const now = Date.now();
          if (got === value) seenAt ??= now;
          else if (now - acknowledged > PROPAGATION_BOUND_MS || seenAt !== undefined) violations.push(`v${version}: old "${got}" ${now - acknowledged} ms after the ack`);
        }
        expect(seenAt).toBeDefined();
      }
    } finally {
      reading = false;
      await reader;
    }
    expect(violations).toEqual([]);
  }, 120_000);

  it('evicts a cached "not found" on the other replica when the identifier is created, and a deletion too', async () => {
    const handle = '88.118.8/born-later';
    expect((await call(baseB, 'GET', `/api/handles/${handle}`)).status).toBe(404);
    expect((await call(baseB, 'GET', `/api/handles/${handle}`)).status).toBe(404);
    expect((await call(baseA, 'PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: 'https://born.example.cn' }], token)).status).toBe(200);
    const created = await waitForElapsed('replica B to resolve the new identifier', async () => (await call(baseB, 'GET', `/api/handles/${handle}`)).status === 200, { timeoutMs: 15_000, intervalMs: 0 });
    expect(created).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);

    expect((await call(baseA, 'DELETE', `/api/handles/${handle}`, undefined, token)).status).toBe(200);
    const deleted = await waitForElapsed('replica B to answer 404 for the deleted identifier', async () => (await call(baseB, 'GET', `/api/handles/${handle}`)).status === 404, { timeoutMs: 15_000, intervalMs: 0 });
    expect(deleted).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
  });
});
