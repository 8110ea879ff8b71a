import { randomBytes } from 'node:crypto';
import { parsePrometheus } from '../support/prometheus';
import { applicationBody, type HttpReply, OPERATOR_PASSWORD, TestNode } from '../support/test-node';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A node with every limit small, on the real Redis under a key prefix of its own. */
function limitedEnv(extra: Record<string, string>): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_KEY_PREFIX: `it-rl-${randomBytes(4).toString('hex')}:`,
    RATE_LIMITS_ENABLED: 'true',
    ...extra,
  };
}

function url(index: number, value: string) {
  return { index, type: 'URL', data: { format: 'string', value } };
}

/** Each test speaks from its own address (the node trusts 127.0.0.1 as a proxy): buckets never mix. */
let addressSerial = 10;
function freshAddress(): string {
  addressSerial += 1;
  return `198.51.100.${addressSerial}`;
}

function expectRateLimitHeaders(reply: HttpReply, limit: number, windowSeconds: number): void {
  expect(reply.status).toBe(429);
  const retryAfter = Number(reply.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds).toBe(true);
  expect(reply.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(reply.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(reply.headers.get('ratelimit-reset'))).toBe(retryAfter);
  expect(reply.headers.get('ratelimit-policy')).toBe(`${limit};w=${windowSeconds}`);
}

async function refusals(node: TestNode, family: string): Promise<number> {
  const reply = await node.request('GET', '/metrics');
  return parsePrometheus(reply.text).samples.get(`idis_rate_limit_refusals_total{family="${family}"}`) ?? NaN;
}

describe('rate limits and quotas (real Redis), a node trusting 127.0.0.1 as its proxy', () => {
  let node: TestNode;
  let operator: string;
  let acme: { token: string };
  let globex: { token: string };

  /** An approved enterprise logged in once (each login counts towards the login limits). */
  async function enterprise(prefix: string, username: string): Promise<{ token: string }> {
    const application = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody(prefix, username) });
    expect(application.status).toBe(201);
    const approved = await node.request('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: operator });
    expect(approved.status).toBe(200);
    return { token: await node.token(username, 'enterprise-pass-1') };
  }

  beforeAll(async () => {
    node = await TestNode.start(
      limitedEnv({
        TRUSTED_PROXIES: '127.0.0.1,::1',
        RATE_LIMIT_RESOLUTION: '3/1m',
        RATE_LIMIT_AUTHENTICATED: 'off',
        RATE_LIMIT_LOGIN_USERNAME: '3/1m',
        RATE_LIMIT_LOGIN_IP: '20/1m',
        RATE_LIMIT_REGISTRATIONS: '5/1d',
        RATE_LIMIT_CAPTURE: '1/1m',
        RATE_LIMIT_MQTT: 'off',
      }),
    );
    operator = await node.token('operator', OPERATOR_PASSWORD);
    acme = await enterprise('88.118.8', 'acme');
    globex = await enterprise('88.118.9', 'globex');
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('publishes the limits in force at GET /api/v1/limits, without a token', async () => {
    const reply = await node.request('GET', '/api/v1/limits');
    expect(reply.status).toBe(200);
    expect(reply.body.enabled).toBe(true);
    expect(reply.body.shared).toBe(true);
    const byFamily = Object.fromEntries(reply.body.families.map((f: { family: string }) => [f.family, f]));
    expect(byFamily.resolution.limit).toEqual({ points: 3, windowSeconds: 60, policy: '3/1m' });
    expect(byFamily.registration.limit).toEqual({ points: 5, windowSeconds: 86_400, policy: '5/1d' });
    expect(byFamily.authenticated.limit).toBeNull();
    expect(byFamily['login-username'].countedPer).toMatch(/username/);
    // Nothing internal: no Redis address, no proxy list.
    expect(reply.text).not.toMatch(/127\.0\.0\.1|6379|redis:/);
  });

  it('Handle REST: the 4th anonymous resolution from one address is 429 with RC 3, Retry-After and RateLimit-*, and counted in /metrics', async () => {
    const from = { 'x-forwarded-for': freshAddress() };
    const before = await refusals(node, 'resolution');
    for (let i = 0; i < 3; i += 1) expect((await node.request('GET', `/api/handles/88.118.8/rl-${i}`, { headers: from })).status).toBe(404);
    const refused = await node.request('GET', '/api/handles/88.118.8/rl-3', { headers: from });
    expectRateLimitHeaders(refused, 3, 60);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.body).toEqual({ responseCode: 3, handle: '88.118.8/rl-3', message: expect.stringMatching(/too many anonymous requests from this address: the limit is 3 per minute; retry after \d+ s/) });
    expect(await refusals(node, 'resolution')).toBe(before + 1);
    // Another address is not affected.
    expect((await node.request('GET', '/api/handles/88.118.8/rl-0', { headers: { 'x-forwarded-for': freshAddress() } })).status).toBe(404);
  });

  it('proxy and SNMS detail share the address’s resolution budget and answer in their own envelopes', async () => {
    const from = { 'x-forwarded-for': freshAddress() };
    for (let i = 0; i < 3; i += 1) expect((await node.request('GET', `/88.118.8/px-${i}`, { headers: from })).status).toBe(404);
    const proxy = await node.request('GET', '/88.118.8/px-3', { headers: { ...from, accept: 'application/json' } });
    expectRateLimitHeaders(proxy, 3, 60);
    expect(proxy.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(proxy.body).toMatchObject({ type: 'urn:idis:problem:rate-limited', status: 429, code: 'RATE_LIMITED', instance: '/88.118.8/px-3' });
    const snms = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/px-4', { headers: from });
    expectRateLimitHeaders(snms, 3, 60);
    expect(snms.body).toEqual({ status: -2, message: expect.stringMatching(/too many anonymous requests/), data: null });
  });

  it('believes X-Forwarded-For from the trusted proxy only: the leftmost forged hop does not give a new budget', async () => {
    const client = freshAddress();
    for (let i = 0; i < 3; i += 1) {
      // The client prepends a forged address each time; the proxy appends the real one.
      const reply = await node.request('GET', `/api/handles/88.118.8/xff-${i}`, { headers: { 'x-forwarded-for': `10.9.9.${i}, ${client}` } });
      expect(reply.status).toBe(404);
    }
    expect((await node.request('GET', '/api/handles/88.118.8/xff-3', { headers: { 'x-forwarded-for': `10.9.9.77, ${client}` } })).status).toBe(429);
  });

  it('login attempts: per username (SNMS and native envelopes), whether or not the user exists', async () => {
    for (const username of ['nobody-1', 'NOBODY-1', 'Nobody-1']) {
      expect((await node.request('POST', '/identity/token', { body: { username, password: 'wrong-password' }, headers: { 'x-forwarded-for': freshAddress() } })).status).toBe(401);
    }
    const snms = await node.request('POST', '/identity/token', { body: { username: 'nobody-1', password: 'wrong-password' }, headers: { 'x-forwarded-for': freshAddress() } });
    expectRateLimitHeaders(snms, 3, 60);
    expect(snms.body).toEqual({ status: -2, message: expect.stringMatching(/too many login attempts for this username/), data: null });
    const native = await node.request('POST', '/api/v1/auth/token', { body: { username: 'nobody-1', password: 'enterprise-pass-1' }, headers: { 'x-forwarded-for': freshAddress() } });
    expectRateLimitHeaders(native, 3, 60);
    expect(native.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(native.body).toMatchObject({ code: 'RATE_LIMITED', status: 429, instance: '/api/v1/auth/token' });
  });

  it('login attempts: per client address, across usernames', async () => {
    const from = { 'x-forwarded-for': freshAddress() };
    for (let i = 0; i < 20; i += 1) {
      expect((await node.request('POST', '/api/v1/auth/token', { body: { username: `spray-${i}`, password: 'wrong-password' }, headers: from })).status).toBe(401);
    }
    const refused = await node.request('POST', '/api/v1/auth/token', { body: { username: 'spray-20', password: 'wrong-password' }, headers: from });
    expectRateLimitHeaders(refused, 20, 60);
    expect(refused.body.detail).toMatch(/login attempts from this address/);
  });

  it('registration quota per enterprise per day: refused writes give their points back, another enterprise is not affected', async () => {
    const put = (suffix: string, body: unknown, token = acme.token) => node.request('PUT', `/api/handles/88.118.8/${suffix}`, { token, body });
    // A refused write (bad body) costs no quota.
    expect((await put('bad', { values: 'not-a-list' })).status).toBe(400);
    for (let i = 0; i < 5; i += 1) expect((await put(`q-${i}`, { values: [url(1, `https://acme.example.cn/${i}`)] })).status).toBe(200);
    const refused = await node.refused('PUT', '/api/handles/88.118.8/q-5', { token: acme.token, body: { values: [url(1, 'https://acme.example.cn/5')] } });
    expectRateLimitHeaders(refused, 5, 86_400);
    expect(refused.body).toEqual({ responseCode: 3, handle: '88.118.8/q-5', message: expect.stringMatching(/identifier registrations of this enterprise \(quota\): the limit is 5 per day/) });
    const batch = await node.refused('POST', '/identityv2/data/batchCreate', { token: acme.token, body: [{ handle: '88.118.8/q-6', templateVersion: 'none', value: [] }] });
    expect(batch.status).toBe(429);
    expect(batch.body).toEqual({ status: -2, message: expect.stringMatching(/quota/), data: null });
    // The other tenant has its own quota.
    expect((await put('g-1', { values: [url(1, 'https://globex.example.cn/1')] }, globex.token)).status).toBe(403);
    expect((await node.request('PUT', '/api/handles/88.118.9/g-1', { token: globex.token, body: { values: [url(1, 'https://globex.example.cn/1')] } })).status).toBe(200);
  });

  it('EPCIS capture per enterprise: the second capture within the window is a 429 problem', async () => {
    const document = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2025-01-15T08:00:00.000+08:00',
      epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime: '2025-01-15T08:00:00.000+08:00', eventTimeZoneOffset: '+08:00', epcList: ['hdl:88.118.8/BOX-1'], action: 'OBSERVE' }] },
    };
    expect((await node.request('POST', '/epcis/capture', { token: acme.token, body: document })).status).toBe(202);
    // (Not node.refused: the first capture is still being stored in the background.)
    const refused = await node.request('POST', '/epcis/capture', { token: acme.token, body: document });
    expectRateLimitHeaders(refused, 1, 60);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:idis:problem:rate-limited', title: 'Too many requests', status: 429, code: 'RATE_LIMITED', instance: '/epcis/capture' });
    expect((await node.request('POST', '/epcis/capture', { token: globex.token, body: { ...document, epcisBody: { eventList: [{ ...document.epcisBody.eventList[0], epcList: ['hdl:88.118.9/BOX-1'] }] } } })).status).toBe(202);
  });
});

describe('rate limits of a node behind no trusted proxy, and per credential', () => {
  let node: TestNode;
  let enterpriseToken: string;
  let enterpriseId: string;

  beforeAll(async () => {
    node = await TestNode.start(limitedEnv({ RATE_LIMIT_RESOLUTION: '3/1m', RATE_LIMIT_AUTHENTICATED: '3/1m', RATE_LIMIT_LOGIN_USERNAME: 'off', RATE_LIMIT_LOGIN_IP: 'off' }));
    // The approval is the operator's first authenticated call.
    ({ token: enterpriseToken, enterpriseId } = await node.approvedEnterprise('88.118.8', 'acme'));
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('ignores X-Forwarded-For from an untrusted peer: every forged address shares the peer’s budget', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await node.request('GET', `/api/handles/88.118.8/u-${i}`, { headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status).toBe(404);
    }
    const refused = await node.request('GET', '/api/handles/88.118.8/u-3', { headers: { 'x-forwarded-for': '203.0.113.99' } });
    expectRateLimitHeaders(refused, 3, 60);
  });

  it('counts calls per account across the direct and the Nest routes; another account has its own budget', async () => {
    const operator = await node.operatorToken();
    // With a token, resolution is counted per account, not per address (whose budget is spent above).
    expect((await node.request('GET', '/api/handles/88.118.8/a-1', { token: operator })).status).toBe(404);
    expect((await node.request('GET', '/api/v1/enterprises/applications', { token: operator })).status).toBe(200);
    const refused = await node.request('GET', '/api/v1/enterprises/applications', { token: operator });
    expectRateLimitHeaders(refused, 3, 60);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringMatching(/requests with this credential/) });
    const direct = await node.request('GET', '/api/handles/88.118.8/a-2', { token: operator });
    expectRateLimitHeaders(direct, 3, 60);
    expect(direct.body.responseCode).toBe(3);
    const proxy = await node.request('GET', '/88.118.8/a-3', { token: operator, headers: { accept: 'application/json' } });
    expect(proxy.status).toBe(429);
    // The enterprise's account is counted apart.
    expect((await node.request('GET', '/api/handles/88.118.8/a-1', { token: enterpriseToken })).status).toBe(404);
    // An invalid token is no credential: it is counted by address (spent) rather than getting a budget of its own.
    expect((await node.request('GET', '/api/handles/88.118.8/a-4', { token: 'not-a-token' })).status).toBe(429);
  });

  it('on the direct routes, a known API key spends its own budget; a token made stale by a password change spends the address’s, not its account’s', async () => {
    // acme's account has spent 1 of its 3 above; creating the key spends the 2nd.
    const key = await node.request('POST', `/api/v1/enterprises/${enterpriseId}/api-keys`, { token: enterpriseToken, body: { name: 'reader', prefixes: ['88.118.8'], operations: ['read-events'] } });
    expect(key.status).toBe(201);
    const secret = key.body.secret as string;
    // A Nest route authenticates the key (the key's first call), so this replica knows it.
    expect((await node.request('GET', '/epcis/events', { headers: { 'x-api-key': secret } })).status).toBe(200);
    // The address's budget is spent above; the key's is not: two more reads on the direct routes pass, the third is refused.
    expect((await node.request('GET', '/api/handles/88.118.8/k-1', { headers: { 'x-api-key': secret } })).status).toBe(404);
    expect((await node.request('GET', '/api/handles/88.118.8/k-2', { token: secret })).status).toBe(404);
    const keySpent = await node.request('GET', '/api/handles/88.118.8/k-3', { headers: { 'x-api-key': secret } });
    expectRateLimitHeaders(keySpent, 3, 60);
    expect(keySpent.body.message).toMatch(/requests with this credential/);
    // A well-formed key nobody issued gets no budget of its own: the address's (spent).
    const madeUp = await node.request('GET', '/api/handles/88.118.8/k-4', { token: `idk_${'A'.repeat(43)}` });
    expect(madeUp.status).toBe(429);
    expect(madeUp.body.message).toMatch(/anonymous requests from this address/);

    const changed = await node.request('POST', '/api/v1/auth/password', { token: enterpriseToken, body: { currentPassword: 'enterprise-pass-1', newPassword: 'acme-pass-2' } });
    expect(changed.status).toBe(200);
    // Once this replica has seen the old token refused, the old token spends the address's budget, not the account's.
    expect((await node.request('GET', '/api/v1/enterprises/applications', { token: enterpriseToken })).status).toBe(401);
    const stale = await node.request('GET', '/api/handles/88.118.8/s-1', { token: enterpriseToken });
    expect(stale.status).toBe(429);
    expect(stale.body.message).toMatch(/anonymous requests from this address/);
    // The new token is the same account, whose three calls are spent (the key creation, the password change and the first).
    const fresh = await node.request('GET', '/api/handles/88.118.8/f-1', { token: changed.body.accessToken });
    expect(fresh.status).toBe(429);
    expect(fresh.body.message).toMatch(/requests with this credential/);
  });
});
