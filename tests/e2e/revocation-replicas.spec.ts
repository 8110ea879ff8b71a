import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/** The bound of issue 11: a revoked credential is refused on every replica within this. */
const REVOCATION_BOUND_MS = 5000;

function call(base: string, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  return request(base, method, path, { ...options, requireJson: true });
}

/**
 * Two secondary-node processes on one PostgreSQL. A deactivation, a password change, a reset or a
 * key revocation made through replica A is refused by replica B within 5 s, with a 401 that says
 * why (WWW-Authenticate: Bearer error="invalid_token").
 */
describe('revocation across replicas', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  let baseA: string;
  let baseB: string;
  let operator: string;
  let prefixes = 0;

  beforeAll(async () => {
    db = await createTestDatabase('e2e');
    const env = { DATABASE_URL: db.url, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1', AUTH_CACHE_MS: '4000' };
    a = NodeProcess.spawn({ ...env, NODE_ID: 'replica-a' });
    b = NodeProcess.spawn({ ...env, NODE_ID: 'replica-b' });
    [baseA, baseB] = await Promise.all([a.ready(), b.ready()]);
    operator = (await call(baseA, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } })).body.accessToken;
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  async function enterprise(username: string): Promise<{ id: string; prefix: string; token: string }> {
    prefixes += 1;
    const prefix = `88.118.${200 + prefixes}`;
    const application = await call(baseA, 'POST', '/api/v1/enterprises/applications', { body: applicationBody(prefix, username) });
    const approved = await call(baseA, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: operator });
    expect(approved.status).toBe(200);
    const token = (await call(baseB, 'POST', '/api/v1/auth/token', { body: { username, password: 'enterprise-pass-1' } })).body.accessToken;
    return { id: approved.body.enterpriseId, prefix, token };
  }

  /** Polls replica B with `send` until it answers 401; returns how long after `since` that was. */
  async function refusedOnB(send: () => ReturnType<typeof call>, since: number): Promise<number> {
    const reply = await waitFor(
      'replica B to refuse the revoked credential',
      async () => {
        const answer = await send();
        return answer.status === 401 ? answer : undefined;
      },
      { timeoutMs: REVOCATION_BOUND_MS + 2000, intervalMs: 100 },
    );
    const elapsed = Date.now() - since;
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="idis", error="invalid_token"/);
    return elapsed;
  }

  it('refuses a deactivated enterprise\'s token and API key on the other replica within 5 s', async () => {
    const ent = await enterprise('replicated-gone');
    const other = await enterprise('replicated-stays');
    const key = (await call(baseB, 'POST', `/api/v1/enterprises/${ent.id}/api-keys`, { token: ent.token, body: { name: 'm', prefixes: [ent.prefix], operations: ['read-events'] } })).body.secret;
    // B has read (and may cache for AUTH_CACHE_MS, here the longest allowed) the account and the key as valid.
    expect((await call(baseB, 'GET', '/epcis/events', { token: ent.token })).status).toBe(200);
    expect((await call(baseB, 'GET', '/epcis/events', { headers: { 'x-api-key': key } })).status).toBe(200);
    const deactivated = await call(baseA, 'POST', `/api/v1/enterprises/${ent.id}/deactivate`, { token: operator, body: { reason: 'replica test' } });
    expect(deactivated.status).toBe(200);
    const since = Date.now();
    expect(await refusedOnB(() => call(baseB, 'GET', '/epcis/events', { token: ent.token }), since)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect(await refusedOnB(() => call(baseB, 'GET', '/epcis/events', { headers: { 'x-api-key': key } }), since)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect((await call(baseB, 'POST', '/api/v1/auth/token', { body: { username: 'replicated-gone', password: 'enterprise-pass-1' } })).status).toBe(403);
    expect((await call(baseB, 'GET', '/epcis/events', { token: other.token })).status).toBe(200);
  });

  it('refuses on the other replica, within 5 s, every token issued before a password change', async () => {
    const ent = await enterprise('replicated-change');
    expect((await call(baseB, 'GET', '/api/v1/enterprises/applications', { token: ent.token })).status).toBe(200);
    const changed = await call(baseA, 'POST', '/api/v1/auth/password', { token: ent.token, body: { currentPassword: 'enterprise-pass-1', newPassword: 'enterprise-pass-2' } });
    expect(changed.status).toBe(200);
    const since = Date.now();
    expect(await refusedOnB(() => call(baseB, 'GET', '/api/v1/enterprises/applications', { token: ent.token }), since)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect((await call(baseB, 'GET', '/api/v1/enterprises/applications', { token: changed.body.accessToken })).status).toBe(200);
  });

  it('refuses on the other replica, within 5 s, a key revoked and a token voided by an operator\'s reset', async () => {
    const ent = await enterprise('replicated-reset');
    const key = await call(baseA, 'POST', `/api/v1/enterprises/${ent.id}/api-keys`, { token: ent.token, body: { name: 'm', prefixes: [ent.prefix], operations: ['read-events'] } });
    expect((await call(baseB, 'GET', '/epcis/events', { token: key.body.secret })).status).toBe(200);
    expect((await call(baseB, 'GET', '/epcis/events', { token: ent.token })).status).toBe(200);
    expect((await call(baseA, 'DELETE', `/api/v1/enterprises/${ent.id}/api-keys/${key.body.id}`, { token: ent.token })).status).toBe(204);
    expect((await call(baseA, 'POST', `/api/v1/enterprises/${ent.id}/account/password-reset`, { token: operator })).status).toBe(200);
    const since = Date.now();
    expect(await refusedOnB(() => call(baseB, 'GET', '/epcis/events', { token: key.body.secret }), since)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect(await refusedOnB(() => call(baseB, 'GET', '/epcis/events', { token: ent.token }), since)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  });
});
