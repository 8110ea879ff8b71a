import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';

const A = '88.118.40';
const B = '88.118.41';
const SECRET = 'mqtt-auth-secret-that-is-long-enough-01';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

/**
 * MQTT credentials over the native API (create, shown once, list without secrets, revoke, revoked
 * with the enterprise's deactivation), tenants kept apart, and the HTTP endpoints EMQX asks
 * (MQTT_BROKER_ACCOUNTS=http). The brokers themselves are in mqtt-access-embedded / -mosquitto.
 */
describe('MQTT credentials', () => {
  let node: TestNode;
  let operator: string;
  let entA: EnterpriseFixture;
  let entB: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ MQTT_BROKER_ACCOUNTS: 'http', MQTT_AUTH_SECRET: SECRET, MQTT_USERNAME: 'node-consumer', MQTT_PASSWORD: 'node-consumer-pass', MQTT_MAX_CREDENTIALS_PER_ENTERPRISE: '3' });
    operator = await node.operatorToken();
    entA = await node.approvedEnterprise(A, 'mqtt-ent-a');
    entB = await node.approvedEnterprise(B, 'mqtt-ent-b');
  });

  afterAll(async () => {
    await node?.stop();
  });

  const path = (enterpriseId: string) => `/api/v1/enterprises/${enterpriseId}/mqtt-credentials`;
  const rows = async () => (await node.db.client.query(`SELECT username, secret_digest, revoked_at FROM mqtt_credentials ORDER BY created_at`)).rows;
  /** `secret: null` sends no secret header. */
  const auth = (body: unknown, secret: string | null = SECRET) => node.request('POST', '/api/v1/mqtt/auth', { body, headers: secret === null ? {} : { 'x-mqtt-auth-secret': secret } });
  const acl = (body: unknown) => node.request('POST', '/api/v1/mqtt/acl', { body, headers: { 'x-mqtt-auth-secret': SECRET } });

  it('creates a credential whose password is shown once and stored only as a digest', async () => {
    const created = await node.request('POST', path(entA.enterpriseId), { token: entA.token, body: { label: 'line PLC gateway' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(UUID),
      enterpriseId: entA.enterpriseId,
      username: expect.stringMatching(/^idis-e-88\.118\.40-[a-z0-9]{8}$/),
      password: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      label: 'line PLC gateway',
      status: 'active',
      createdBy: 'mqtt-ent-a',
      topics: [{ prefix: A, publish: `idis/v1/${A}/events`, subscribe: [`idis/v1/${A}/rejects`, `idis/v1/${A}/acks`] }],
    });
    const stored = await rows();
    expect(stored).toHaveLength(1);
    expect(stored[0].secret_digest).toMatch(/^sha256\$[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created.body.password);

    const listed = await node.request('GET', path(entA.enterpriseId), { token: entA.token });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, username: created.body.username, status: 'active' })]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.password);
    expect(listed.body.items[0]).not.toHaveProperty('password');

    // The operator manages it too; two credentials get different usernames and passwords.
    const byOperator = await node.request('POST', path(entA.enterpriseId), { token: operator });
    expect(byOperator.status).toBe(201);
    expect(byOperator.body).toMatchObject({ createdBy: 'operator', label: null });
    expect(byOperator.body.username).not.toBe(created.body.username);
    expect(byOperator.body.password).not.toBe(created.body.password);
  });

  it('keeps enterprises apart: B cannot create, list or revoke A\'s credentials', async () => {
    const [mine] = (await node.request('GET', path(entA.enterpriseId), { token: entA.token })).body.items;
    expectProblem(await node.refused('POST', path(entA.enterpriseId), { token: entB.token, body: {} }), 403, 'FORBIDDEN');
    expectProblem(await node.refused('GET', path(entA.enterpriseId), { token: entB.token }), 403, 'FORBIDDEN');
    expectProblem(await node.refused('DELETE', `${path(entA.enterpriseId)}/${mine.id}`, { token: entB.token }), 403, 'FORBIDDEN');
    // Through its own path B does not reach A's credential either, and learns nothing about it.
    expectProblem(await node.refused('DELETE', `${path(entB.enterpriseId)}/${mine.id}`, { token: entB.token }), 404, 'NOT_FOUND');
    expectProblem(await node.refused('POST', path(entA.enterpriseId), {}), 401, 'AUTHENTICATION_REQUIRED');
  });

  it('refuses bad input and changes nothing', async () => {
    expectProblem(await node.refused('POST', path(entA.enterpriseId), { token: entA.token, body: { label: '' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await node.refused('POST', path(entA.enterpriseId), { token: entA.token, body: { label: 'x'.repeat(101) } }), 400, 'VALIDATION_FAILED');
    expectProblem(await node.refused('POST', path(entA.enterpriseId), { token: entA.token, body: { label: 'a\u0000b' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await node.refused('POST', path(entA.enterpriseId), { token: entA.token, body: { username: 'chosen' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await node.refused('POST', path('not-a-uuid'), { token: operator, body: {} }), 400, 'VALIDATION_FAILED');
    expectProblem(await node.refused('POST', path('00000000-0000-4000-8000-000000000000'), { token: operator, body: {} }), 404, 'NOT_FOUND');
    expectProblem(await node.refused('DELETE', `${path(entA.enterpriseId)}/00000000-0000-4000-8000-000000000000`, { token: entA.token }), 404, 'NOT_FOUND');
    expectProblem(await node.refused('GET', `${path(entA.enterpriseId)}?includeRevoked=maybe`, { token: entA.token }), 400, 'VALIDATION_FAILED');
    // At most MQTT_MAX_CREDENTIALS_PER_ENTERPRISE (3 here) in force at once.
    expect((await node.request('POST', path(entA.enterpriseId), { token: entA.token })).status).toBe(201);
    expectProblem(await node.refused('POST', path(entA.enterpriseId), { token: entA.token }), 409, 'CONFLICT');
  });

  it('answers EMQX\'s HTTP authentication and authorisation for the broker only', async () => {
    const created = await node.request('POST', path(entB.enterpriseId), { token: entB.token });
    expect(created.status).toBe(201);
    const { username, password } = created.body;
    expect((await auth({ username, password, clientid: 'c1' })).body).toEqual({ result: 'allow', is_superuser: false });
    expect((await auth({ username, password: `${password}x` })).body).toEqual({ result: 'deny' });
    expect((await auth({ username: 'idis-e-unknown', password })).body).toEqual({ result: 'deny' });
    expect((await auth({ username: 'node-consumer', password: 'node-consumer-pass' })).body).toEqual({ result: 'allow', is_superuser: true });
    expect((await auth({ username: 'node-consumer', password: 'wrong' })).body).toEqual({ result: 'deny' });
    // Without the shared secret nobody can probe passwords through the node.
    expectProblem(await auth({ username, password }, null), 401, 'AUTHENTICATION_REQUIRED');
    expectProblem(await auth({ username, password }, 'wrong-secret'), 401, 'AUTHENTICATION_REQUIRED');
    expectProblem(await auth({ username }), 400, 'VALIDATION_FAILED');
    expectProblem(await auth({ username: 'a\u0000', password }), 400, 'VALIDATION_FAILED');

    const decide = async (topic: string, action: string) => (await acl({ username, topic, action, clientid: 'c1' })).body.result;
    expect(await decide(`idis/v1/${B}/events`, 'publish')).toBe('allow');
    expect(await decide(`idis/v1/${A}/events`, 'publish')).toBe('deny');
    expect(await decide(`idis/v1/${B}/rejects`, 'publish')).toBe('deny');
    expect(await decide(`idis/v1/${B}/rejects`, 'subscribe')).toBe('allow');
    expect(await decide(`idis/v1/${A}/rejects`, 'subscribe')).toBe('deny');
    expect(await decide(`idis/v1/+/rejects`, 'subscribe')).toBe('deny');
    expect(await decide(`idis/v1/${B}/#`, 'subscribe')).toBe('deny');
    expect(await decide(`$SYS/broker/uptime`, 'subscribe')).toBe('deny');
    expect((await acl({ username: 'node-consumer', topic: '$share/g/idis/v1/+/events', action: 'subscribe' })).body.result).toBe('allow');
    expect((await acl({ username: 'nobody', topic: `idis/v1/${B}/events`, action: 'publish' })).body.result).toBe('deny');
    expectProblem(await acl({ username, topic: `idis/v1/${B}/events`, action: 'delete' }), 400, 'VALIDATION_FAILED');

    // Revoked: refused at once.
    expect((await node.request('DELETE', `${path(entB.enterpriseId)}/${created.body.id}`, { token: entB.token })).status).toBe(204);
    expect((await auth({ username, password })).body).toEqual({ result: 'deny' });
    expect(await decide(`idis/v1/${B}/events`, 'publish')).toBe('deny');
    expectProblem(await node.refused('DELETE', `${path(entB.enterpriseId)}/${created.body.id}`, { token: entB.token }), 404, 'NOT_FOUND');
    const listed = await node.request('GET', `${path(entB.enterpriseId)}?includeRevoked=true`, { token: entB.token });
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, status: 'revoked', revokedAt: expect.any(String) })]);
    expect((await node.request('GET', path(entB.enterpriseId), { token: entB.token })).body.items).toEqual([]);
  });

  it('revokes every credential of an enterprise with its deactivation, and gives it no new one', async () => {
    const created = await node.request('POST', path(entB.enterpriseId), { token: entB.token });
    expect((await auth({ username: created.body.username, password: created.body.password })).body.result).toBe('allow');
    const deactivated = await node.request('POST', `/api/v1/enterprises/${entB.enterpriseId}/deactivate`, { token: operator, body: { reason: 'contract ended' } });
    expect(deactivated.status).toBe(200);
    expect((await auth({ username: created.body.username, password: created.body.password })).body).toEqual({ result: 'deny' });
    const revoked = await node.db.client.query(`SELECT revoke_reason, revoked_by FROM mqtt_credentials WHERE id = $1`, [created.body.id]);
    expect(revoked.rows).toEqual([{ revoke_reason: 'enterprise_deactivated', revoked_by: 'system' }]);
    expectProblem(await node.refused('POST', path(entB.enterpriseId), { token: operator }), 409, 'ILLEGAL_TRANSITION');
    // A's credentials are untouched.
    expect((await node.request('GET', path(entA.enterpriseId), { token: entA.token })).body.items).toHaveLength(3);
  });

  it('answers 404 on the broker endpoints when MQTT_BROKER_ACCOUNTS is not http', async () => {
    const other = await TestNode.start();
    try {
      const reply = await other.request('POST', '/api/v1/mqtt/auth', { body: { username: 'a', password: 'b' }, headers: { 'x-mqtt-auth-secret': SECRET } });
      expectProblem(reply, 404, 'NOT_FOUND');
    } finally {
      await other.stop();
    }
  });
});
