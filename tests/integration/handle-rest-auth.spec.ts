import { generateKeyPairSync } from 'node:crypto';
import {
  answerHeader,
  answerParameters,
  handleChallenge,
  publicKeyValue,
  pyhandleBasic,
  secretKeyMarker,
  sessionHeader,
} from '../support/handle-auth-client';
import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';

/**
 * Handle.Net REST authentication (issue 11 item 4, TechManual §14.6) against a real node and
 * PostgreSQL: Basic with a handle identity, the Authorization: Handle challenge–response with an
 * HS_PUBKEY, the sessions API, and every refusal in the Handle envelope with the challenges.
 */

const URL_VALUE = (value: string) => [{ index: 1, type: 'URL', data: { format: 'string', value } }];

function expectChallenged(reply: HttpReply, handle?: string): void {
  expect(reply.status).toBe(401);
  expect(reply.body).toEqual({ responseCode: 402, ...(handle ? { handle } : {}), message: expect.any(String) });
  const header = reply.headers.get('www-authenticate');
  expect(header).toContain('Basic realm="handle"');
  expect(header).toMatch(/Handle realm="handle", sessionId="[A-Za-z0-9_-]+", nonce="[A-Za-z0-9+/]+=*"/);
}

describe('Handle REST authentication', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dsa = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta', 'beta-pass-1');
    // The identity handles: created by each enterprise under its own prefix (with its bearer token).
    const acmeAdmin = await node.request('PUT', '/api/handles/88.118.8/ADMIN', {
      token: acme.token,
      body: [
        { index: 100, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '88.118.8/ADMIN', index: 300, permissions: '011111111111' } } },
        secretKeyMarker(300),
        publicKeyValue(301, rsa.publicKey),
        publicKeyValue(302, dsa.publicKey),
        { index: 1, type: 'DESC', data: 'acme handle administrators' },
      ],
    });
    expect(acmeAdmin.status).toBe(200);
    const betaAdmin = await node.request('PUT', '/api/handles/88.118.9/ADMIN', { token: beta.token, body: [secretKeyMarker(300)] });
    expect(betaAdmin.status).toBe(200);
  });
  afterAll(async () => {
    await node?.stop();
  });

  describe('Basic with a handle identity', () => {
    const basic = (identity: string, password: string) => ({ authorization: pyhandleBasic(identity, password) });

    it('creates, modifies, reads and deletes under the enterprise prefix with index:handle and the account password', async () => {
      const headers = basic('300:88.118.8/ADMIN', acme.password);
      const created = await node.request('PUT', '/api/handles/88.118.8/basic-1?overwrite=false', { headers, body: { values: URL_VALUE('https://acme.example.cn/1') } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ responseCode: 1, handle: '88.118.8/basic-1' });
      const modified = await node.request('PUT', '/api/handles/88.118.8/basic-1?index=1&overwrite=true', { headers, body: { values: URL_VALUE('https://acme.example.cn/1b') } });
      expect(modified.status).toBe(200);
      const read = await node.request('GET', '/api/handles/88.118.8/basic-1');
      expect(read.body.values[0].data.value).toBe('https://acme.example.cn/1b');
      const deleted = await node.request('DELETE', '/api/handles/88.118.8/basic-1', { headers });
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ responseCode: 1, handle: '88.118.8/basic-1' });
      expect((await node.request('GET', '/api/handles/88.118.8/basic-1')).status).toBe(404);
    });

    it("takes an API key of the enterprise as the identity's secret, within the key's operations and prefixes", async () => {
      const createKey = async (ent: EnterpriseFixture, operations: string[]) => {
        const reply = await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/api-keys`, { token: ent.token, body: { name: 'pyhandle', prefixes: [ent.prefix], operations } });
        expect(reply.status).toBe(201);
        return reply.body.secret as string;
      };
      const writer = await createKey(acme, ['register', 'update', 'delete']);
      const created = await node.request('PUT', '/api/handles/88.118.8/basic-key-1', { headers: basic('300:88.118.8/ADMIN', writer), body: URL_VALUE('https://acme.example.cn/k1') });
      expect(created.status).toBe(200);
      // A read-only key authenticates but may not register.
      const reader = await createKey(acme, ['read-events']);
      const refused = await node.refused('PUT', '/api/handles/88.118.8/basic-key-2', { headers: basic('300:88.118.8/ADMIN', reader), body: URL_VALUE('https://acme.example.cn/k2') });
      expect(refused.status).toBe(403);
      // Another enterprise's key is no secret of acme's identity.
      const betaKey = await createKey(beta, ['register', 'update']);
      expectChallenged(await node.refused('PUT', '/api/handles/88.118.8/basic-key-3', { headers: basic('300:88.118.8/ADMIN', betaKey), body: URL_VALUE('https://acme.example.cn/k3') }), '88.118.8/basic-key-3');
      // A revoked key stops working.
      const list = await node.request('GET', `/api/v1/enterprises/${acme.enterpriseId}/api-keys`, { token: acme.token });
      const writerId = list.body.items.find((k: { operations: string[] }) => k.operations.includes('delete')).id;
      expect((await node.request('DELETE', `/api/v1/enterprises/${acme.enterpriseId}/api-keys/${writerId}`, { token: acme.token })).status).toBe(204);
      expectChallenged(await node.refused('PUT', '/api/handles/88.118.8/basic-key-4', { headers: basic('300:88.118.8/ADMIN', writer), body: URL_VALUE('https://acme.example.cn/k4') }), '88.118.8/basic-key-4');
    });

    it('accepts the prefix handle 300:0.NA/<prefix> and the raw-colon form curl -u sends', async () => {
      const viaPrefix = await node.request('PUT', '/api/handles/88.118.8/basic-2', { headers: basic('300:0.NA/88.118.8', acme.password), body: URL_VALUE('https://acme.example.cn/2') });
      expect(viaPrefix.status).toBe(200);
      const raw = `Basic ${Buffer.from(`300:88.118.8/ADMIN:${acme.password}`).toString('base64')}`;
      const viaCurl = await node.request('DELETE', '/api/handles/88.118.8/basic-2', { headers: { authorization: raw } });
      expect(viaCurl.status).toBe(200);
    });

    it('reads private values on GET when the identity speaks for the owner', async () => {
      const anonymous = await node.request('GET', '/api/handles/88.118.8/ADMIN');
      expect(anonymous.body.values.map((v: { index: number }) => v.index)).not.toContain(300);
      const owner = await node.request('GET', '/api/handles/88.118.8/ADMIN', { headers: basic('300:88.118.8/ADMIN', acme.password) });
      expect(owner.status).toBe(200);
      expect(owner.body.values.map((v: { index: number }) => v.index)).toContain(300);
    });

    it.each([
      ['a wrong password', '300:88.118.8/ADMIN', 'wrong-password-1'],
      ['an identity handle that does not exist', '300:88.118.8/NOBODY', 'enterprise-pass-1'],
      ['an index that holds no HS_SECKEY (an HS_PUBKEY)', '301:88.118.8/ADMIN', 'enterprise-pass-1'],
      ['an index with no value', '399:88.118.8/ADMIN', 'enterprise-pass-1'],
      ['another enterprise\'s password with this identity', '300:88.118.8/ADMIN', 'beta-pass-1'],
      ['the prefix handle at another index', '200:0.NA/88.118.8', 'enterprise-pass-1'],
      ['a prefix nobody here owns', '300:0.NA/88.118.77', 'enterprise-pass-1'],
      ['an identity that is no handle', 'acme', 'enterprise-pass-1'],
    ])('refuses %s: 401 responseCode 402 with the challenges, nothing written', async (_what, identity, password) => {
      const reply = await node.refused('PUT', '/api/handles/88.118.8/basic-refused', { headers: basic(identity, password), body: URL_VALUE('https://evil.example.cn/') });
      expectChallenged(reply, '88.118.8/basic-refused');
    });

    it('refuses an identity of enterprise B writing under A\'s prefix: 403 responseCode 400 (RC_INVALID_ADMIN), nothing written', async () => {
      await node.request('PUT', '/api/handles/88.118.8/victim', { token: acme.token, body: URL_VALUE('https://acme.example.cn/victim') });
      const headers = basic('300:88.118.9/ADMIN', beta.password);
      for (const [method, path, body] of [
        ['PUT', '88.118.8/victim', URL_VALUE('https://evil.example.cn/')],
        ['PUT', '88.118.8/new-by-beta?overwrite=false', URL_VALUE('https://evil.example.cn/')],
        ['DELETE', '88.118.8/victim', undefined],
        ['DELETE', '88.118.8/victim?index=1', undefined],
      ] as const) {
        const reply = await node.refused(method, `/api/handles/${path}`, { headers, body });
        expect({ method, path, status: reply.status }).toEqual({ method, path, status: 403 });
        expect(reply.body).toEqual({ responseCode: 400, handle: path.split('?')[0], message: expect.stringContaining('88.118.8') });
      }
      // Beta's own identity works under its own prefix.
      expect((await node.request('PUT', '/api/handles/88.118.9/by-beta', { headers, body: URL_VALUE('https://beta.example.cn/') })).status).toBe(200);
    });

    it('bearer tokens keep working on the same routes', async () => {
      const reply = await node.request('PUT', '/api/handles/88.118.8/bearer-still', { token: acme.token, body: URL_VALUE('https://acme.example.cn/b') });
      expect(reply.status).toBe(200);
      const foreign = await node.refused('PUT', '/api/handles/88.118.9/bearer-foreign', { token: acme.token, body: URL_VALUE('https://acme.example.cn/b') });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toEqual({ responseCode: 401, handle: '88.118.9/bearer-foreign', message: expect.any(String) });
    });

    it('a write with no credentials gets 401 with a Basic and a Handle challenge', async () => {
      expectChallenged(await node.refused('PUT', '/api/handles/88.118.8/anonymous', { body: URL_VALUE('https://x.example.cn/') }), '88.118.8/anonymous');
    });

    it('throttles guessed secrets like sign-ins: wrong secrets slow down, then lock the identity (429), even for the right secret; other identities are untouched', async () => {
      const path = '/api/handles/88.118.9/guessed';
      const guess = (password: string) => node.refused('PUT', path, { headers: basic('300:88.118.9/ADMIN', password), body: URL_VALUE('https://beta.example.cn/g') });
      const statuses: number[] = [];
      const started = Date.now();
      for (let attempt = 1; attempt <= 10; attempt += 1) statuses.push((await guess(`wrong-${attempt}`)).status);
      // The default policy: the first nine answered 401 (from the third on after a pause), the tenth locks.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250 + 500 + 1000 + 2000);
      const locked = await guess(beta.password);
      expect(locked.status).toBe(429);
      expect(locked.body).toEqual({ responseCode: 3, handle: '88.118.9/guessed', message: expect.stringContaining('locked') });
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await node.request('GET', path)).status).toBe(404);
      // Another identity (acme's) writes on.
      const other = await node.request('PUT', '/api/handles/88.118.8/not-locked?overwrite=false', { headers: basic('300:88.118.8/ADMIN', acme.password), body: URL_VALUE('https://acme.example.cn/n') });
      expect(other.status).toBe(201);
      // Unlocked (as an operator's unlock does), the right secret writes again and clears the count.
      await node.db.client.query(`DELETE FROM login_throttle WHERE username_key = 'handle:300:88.118.9/admin'`);
      expect((await node.request('PUT', `${path}?overwrite=false`, { headers: basic('300:88.118.9/ADMIN', beta.password), body: URL_VALUE('https://beta.example.cn/g') })).status).toBe(201);
      expect((await guess('wrong-again')).status).toBe(401);
      expect((await node.request('PUT', `${path}?overwrite=true`, { headers: basic('300:88.118.9/ADMIN', beta.password), body: URL_VALUE('https://beta.example.cn/g2') })).status).toBe(200);
      expect((await node.db.client.query(`SELECT count(*)::int AS n FROM login_throttle WHERE username_key = 'handle:300:88.118.9/admin'`)).rows[0].n).toBe(0);
    }, 60_000);
  });

  describe('Authorization: Handle challenge–response with an HS_PUBKEY', () => {
    async function openSession(): Promise<{ sessionId: string; nonce: string }> {
      const opened = await node.request('POST', '/api/sessions');
      expect(opened.status).toBe(201);
      expect(opened.headers.get('location')).toBe('/api/sessions/this');
      expect(opened.body).toEqual({ sessionId: expect.any(String), nonce: expect.any(String), authenticated: false });
      expect(Buffer.from(opened.body.nonce, 'base64')).toHaveLength(16);
      return opened.body;
    }

    async function authenticatedSession(id = '301:88.118.8/ADMIN', privateKey = rsa.privateKey): Promise<string> {
      const { sessionId, nonce } = await openSession();
      const reply = await node.request('PUT', '/api/sessions/this', { headers: { authorization: answerHeader({ sessionId, nonce, id, privateKey }) } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ sessionId, authenticated: true });
      return sessionId;
    }

    it('an RSA signature of nonce ‖ cnonce authenticates the session, which then writes under the prefix', async () => {
      const sessionId = await authenticatedSession();
      const status = await node.request('GET', '/api/sessions/this', { headers: { authorization: sessionHeader(sessionId) } });
      expect(status.body).toEqual({ sessionId, nonce: expect.any(String), authenticated: true, id: '301:88.118.8/ADMIN' });
      const headers = { authorization: sessionHeader(sessionId) };
      expect((await node.request('PUT', '/api/handles/88.118.8/pk-1', { headers, body: URL_VALUE('https://acme.example.cn/pk') })).status).toBe(200);
      expect((await node.request('PUT', '/api/handles/88.118.8/pk-1?index=1', { headers, body: URL_VALUE('https://acme.example.cn/pk2') })).status).toBe(200);
      expect((await node.request('DELETE', '/api/handles/88.118.8/pk-1', { headers })).status).toBe(200);
    });

    it('a DSA key, SHA1, a JSON body instead of the header, and index 0 (any key of the handle) work too', async () => {
      const { sessionId, nonce } = await openSession();
      const reply = await node.request('PUT', '/api/sessions/this', {
        body: answerParameters({ sessionId, nonce, id: '0:88.118.8/ADMIN', privateKey: dsa.privateKey, alg: 'SHA1' }),
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ authenticated: true, id: '302:88.118.8/ADMIN' });
    });

    it('GET /api/sessions/this with an answer in the header authenticates too, as in Handle.Net', async () => {
      const { sessionId, nonce } = await openSession();
      const reply = await node.request('GET', '/api/sessions/this', { headers: { authorization: answerHeader({ sessionId, nonce, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey }) } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ sessionId, nonce: expect.any(String), authenticated: true, id: '301:88.118.8/ADMIN' });
      expect(reply.body.nonce).not.toBe(nonce);
    });

    it('answers the challenge of a refused write on the write itself', async () => {
      const refused = await node.refused('PUT', '/api/handles/88.118.8/pk-inline', { body: URL_VALUE('https://acme.example.cn/i') });
      const { sessionId, nonce } = handleChallenge(refused.headers.get('www-authenticate'));
      const answered = await node.request('PUT', '/api/handles/88.118.8/pk-inline', {
        headers: { authorization: answerHeader({ sessionId, nonce, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey }) },
        body: URL_VALUE('https://acme.example.cn/i'),
      });
      expect(answered.status).toBe(200);
      expect((await node.request('DELETE', '/api/handles/88.118.8/pk-inline', { headers: { authorization: sessionHeader(sessionId) } })).status).toBe(200);
    });

    it.each([
      ['a signature over other bytes', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey, signOverride: Buffer.from('something else') })],
      ['a key that is not the identity\'s', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '301:88.118.8/ADMIN', privateKey: stranger.privateKey })],
      ['the DSA key named with the RSA key\'s index', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '301:88.118.8/ADMIN', privateKey: dsa.privateKey })],
      ['an identity without HS_PUBKEY', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '300:88.118.9/ADMIN', privateKey: rsa.privateKey })],
      ['type HS_SECKEY', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey }).replace('HS_PUBKEY', 'HS_SECKEY')],
      ['alg MD5', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey }).replace('alg="SHA256"', 'alg="MD5"')],
      ['a missing signature', (s: { sessionId: string; nonce: string }) => answerHeader({ ...s, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey }).replace(/, signature="[^"]+"/, '')],
    ])('refuses %s: 401, and the session stays unauthenticated', async (_what, header) => {
      const session = await openSession();
      const reply = await node.refused('PUT', '/api/sessions/this', { headers: { authorization: header(session) } });
      expectChallenged(reply);
      expect(reply.headers.get('www-authenticate')).toContain(`sessionId="${session.sessionId}"`);
      const write = await node.refused('PUT', '/api/handles/88.118.8/pk-refused', { headers: { authorization: sessionHeader(session.sessionId) }, body: URL_VALUE('https://evil.example.cn/') });
      expectChallenged(write, '88.118.8/pk-refused');
    });

    it('refuses a replayed answer: in the same session (the nonce was consumed) and in another session', async () => {
      const first = await openSession();
      const header = answerHeader({ ...first, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey });
      expect((await node.request('PUT', '/api/sessions/this', { headers: { authorization: header } })).status).toBe(200);
      expectChallenged(await node.refused('PUT', '/api/sessions/this', { headers: { authorization: header } }));
      expectChallenged(await node.refused('PUT', '/api/handles/88.118.8/replayed', { headers: { authorization: header }, body: URL_VALUE('https://evil.example.cn/') }), '88.118.8/replayed');

      const second = await openSession();
      const moved = header.replace(first.sessionId, second.sessionId);
      expectChallenged(await node.refused('PUT', '/api/sessions/this', { headers: { authorization: moved } }));
    });

    it('the same answer sent several times at once authenticates exactly once', async () => {
      const session = await openSession();
      const header = answerHeader({ ...session, id: '301:88.118.8/ADMIN', privateKey: rsa.privateKey });
      const replies = await Promise.all(Array.from({ length: 5 }, () => node.request('PUT', '/api/sessions/this', { headers: { authorization: header } })));
      expect(replies.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401]);
    });

    it('refuses a session of enterprise A writing under B\'s prefix: 403 responseCode 400', async () => {
      const sessionId = await authenticatedSession();
      const reply = await node.refused('PUT', '/api/handles/88.118.9/from-acme', { headers: { authorization: sessionHeader(sessionId) }, body: URL_VALUE('https://evil.example.cn/') });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ responseCode: 400, handle: '88.118.9/from-acme', message: expect.any(String) });
    });

    it('DELETE /api/sessions/this ends the session (204); an unknown session is refused', async () => {
      const sessionId = await authenticatedSession();
      const headers = { authorization: sessionHeader(sessionId) };
      const closed = await node.request('DELETE', '/api/sessions/this', { headers });
      expect(closed.status).toBe(204);
      expectChallenged(await node.refused('PUT', '/api/handles/88.118.8/after-close', { headers, body: URL_VALUE('https://x.example.cn/') }), '88.118.8/after-close');
      const gone = await node.request('GET', '/api/sessions/this', { headers });
      expect(gone.status).toBe(403);
      expect(gone.body).toEqual({ responseCode: 401, message: expect.any(String) });
      expect((await node.request('DELETE', '/api/sessions/this', { headers: { authorization: sessionHeader('no-such-session') } })).status).toBe(403);
    });

    it('POST /api/sessions with a sessionId is refused (400 responseCode 4)', async () => {
      const reply = await node.request('POST', '/api/sessions', { headers: { authorization: sessionHeader('abc') } });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 4, message: expect.any(String) });
    });

    it('removing the HS_PUBKEY value ends the sessions it authenticated', async () => {
      const extra = generateKeyPairSync('rsa', { modulusLength: 2048 });
      expect((await node.request('PUT', '/api/handles/88.118.8/ADMIN?index=303', { token: acme.token, body: [publicKeyValue(303, extra.publicKey)] })).status).toBe(200);
      const sessionId = await authenticatedSession('303:88.118.8/ADMIN', extra.privateKey);
      const headers = { authorization: sessionHeader(sessionId) };
      expect((await node.request('PUT', '/api/handles/88.118.8/pk-revoke', { headers, body: URL_VALUE('https://acme.example.cn/r') })).status).toBe(200);
      expect((await node.request('DELETE', '/api/handles/88.118.8/ADMIN?index=303', { token: acme.token })).status).toBe(200);
      expectChallenged(await node.refused('DELETE', '/api/handles/88.118.8/pk-revoke', { headers }), '88.118.8/pk-revoke');
    });

    it('refuses malformed Authorization: Handle headers with 401 responseCode 402', async () => {
      for (const header of ['Handle', 'Handle sessionId="a" id="b"', 'Handle clientCert="true"', `Handle sessionId="${'x'.repeat(9000)}"`]) {
        expectChallenged(await node.refused('PUT', '/api/handles/88.118.8/malformed', { headers: { authorization: header }, body: URL_VALUE('https://x.example.cn/') }), '88.118.8/malformed');
      }
    });
  });
});
