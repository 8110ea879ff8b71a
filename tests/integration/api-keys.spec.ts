import { createHash, randomUUID } from 'node:crypto';
import { type EnterpriseFixture, type HttpReply, type RequestOptions, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { epcisDocument, objectEvent } from './ingestion-harness';

const A = '88.118.90';
/** A second prefix of enterprise A (moved to it in the database: the API gives one per application). */
const A2 = '88.118.91';
const B = '88.118.92';
const SECRET = /^idk_[A-Za-z0-9_-]{43}$/;

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, detail: expect.any(String) });
}

function expectRefusedKey(reply: HttpReply): void {
  expect(reply.status).toBe(401);
  expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="idis", error="invalid_token"/);
}

const record = (url: string) => [{ index: 1, type: 'URL', data: url }];
/** An SNMS record under the template v1 each enterprise has (item "name" at 2000). */
const snmsRecord = (handle: string) => ({ handle, templateVersion: 'v1', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'pump' } }] });

describe('API keys for machines', () => {
  let node: TestNode;
  let operator: string;
  let entA: EnterpriseFixture;
  let entB: EnterpriseFixture;
  const keysOf = (enterpriseId: string) => `/api/v1/enterprises/${enterpriseId}/api-keys`;

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    entA = await node.approvedEnterprise(A, 'keys-ent-a', 'keys-pass-a');
    entB = await node.approvedEnterprise(B, 'keys-ent-b', 'keys-pass-b');
    const spare = await node.approvedEnterprise(A2, 'keys-spare', 'keys-pass-s');
    await node.db.client.query(`UPDATE enterprise_prefixes SET enterprise_id = $1 WHERE enterprise_id = $2`, [entA.enterpriseId, spare.enterpriseId]);
    for (const [ent, prefix] of [[entA, A], [entB, B]] as const) {
      await node.createTemplate(ent.token, prefix, 'v1', [{ idType: 'name' }]);
    }
  });
  afterAll(async () => {
    await node?.stop();
  });

  async function createKey(ent: EnterpriseFixture, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const reply = await node.request('POST', keysOf(ent.enterpriseId), { token: ent.token, body: { name: 'machine', ...body } });
    if (reply.status !== 201) throw new Error(`key creation failed: ${reply.status} ${reply.text}`);
    return reply.body;
  }

  const bearer = (secret: string): RequestOptions => ({ token: secret });
  const header = (secret: string): RequestOptions => ({ headers: { 'x-api-key': secret } });

  describe('creating, listing and revoking', () => {
    it('shows the secret once, stores only its SHA-256, and lists the key without it', async () => {
      const created = await node.request('POST', keysOf(entA.enterpriseId), {
        token: entA.token,
        body: { name: 'ERP upload', prefixes: [A], operations: ['register', 'update'], expiresInDays: 30 },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.any(String),
        name: 'ERP upload',
        secret: expect.stringMatching(SECRET),
        prefixes: [A],
        operations: ['register', 'update'],
        status: 'active',
        createdBy: 'keys-ent-a',
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(created.body.hint).toBe(`${created.body.secret.slice(0, 10)}…`);
      const days = (Date.parse(created.body.expiresAt) - Date.now()) / 86400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);
      const stored = await node.db.client.query(`SELECT * FROM api_keys WHERE id = $1`, [created.body.id]);
      expect(stored.rows[0].secret_hash).toBe(createHash('sha256').update(created.body.secret).digest('hex'));
      expect(JSON.stringify(stored.rows)).not.toContain(created.body.secret);
      const listed = await node.request('GET', keysOf(entA.enterpriseId), { token: entA.token });
      expect(listed.status).toBe(200);
      const item = listed.body.items.find((k: { id: string }) => k.id === created.body.id);
      const { secret: _secret, ...shown } = created.body;
      expect(item).toEqual(shown);
      expect(listed.text).not.toContain(created.body.secret);
    });

    it('gives a default expiry and refuses one beyond API_KEY_MAX_DAYS', async () => {
      const key = await node.request('POST', keysOf(entA.enterpriseId), { token: entA.token, body: { name: 'default', prefixes: [A], operations: ['read-events'] } });
      expect(key.status).toBe(201);
      expect(Math.round((Date.parse(key.body.expiresAt) - Date.now()) / 86400_000)).toBe(90);
      const tooLong = await node.refused('POST', keysOf(entA.enterpriseId), { token: entA.token, body: { name: 'long', prefixes: [A], operations: ['read-events'], expiresInDays: 366 } });
      expectProblem(tooLong, 400, 'VALIDATION_FAILED');
      expect(tooLong.body.errors).toEqual([{ path: '/expiresInDays', message: 'must be at most 365' }]);
    });

    it.each([
      ['no name', { prefixes: [A], operations: ['register'] }, '/name'],
      ['no prefix', { name: 'k', prefixes: [], operations: ['register'] }, '/prefixes'],
      ['no operation', { name: 'k', prefixes: [A], operations: [] }, '/operations'],
      ['an unknown operation', { name: 'k', prefixes: [A], operations: ['admin'] }, '/operations/0'],
      ['a repeated operation', { name: 'k', prefixes: [A], operations: ['register', 'register'] }, '/operations'],
      ['an expiry of 0 days', { name: 'k', prefixes: [A], operations: ['register'], expiresInDays: 0 }, '/expiresInDays'],
      ['an expiry that is not an integer', { name: 'k', prefixes: [A], operations: ['register'], expiresInDays: '30' }, '/expiresInDays'],
      ['an unknown field', { name: 'k', prefixes: [A], operations: ['register'], secret: 'idk_mine' }, '/secret'],
      ['a name with a control character', { name: 'a\u0000b', prefixes: [A], operations: ['register'] }, '/name'],
      ['a malformed prefix', { name: 'k', prefixes: ['88..118'], operations: ['register'] }, '/prefixes/0'],
      ['another enterprise\'s prefix', { name: 'k', prefixes: [A, B], operations: ['register'] }, '/prefixes/1'],
      ['a prefix nobody has', { name: 'k', prefixes: ['88.118.999'], operations: ['register'] }, '/prefixes/0'],
    ])('refuses %s (400 naming the field, nothing stored)', async (_what, body, path) => {
      const before = await keyCount();
      const reply = await node.refused('POST', keysOf(entA.enterpriseId), { token: entA.token, body });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(await keyCount()).toBe(before);
    });

    it('does not tell a foreign prefix from an unknown one', async () => {
      const foreign = await node.refused('POST', keysOf(entA.enterpriseId), { token: entA.token, body: { name: 'k', prefixes: [B], operations: ['register'] } });
      const unknown = await node.refused('POST', keysOf(entA.enterpriseId), { token: entA.token, body: { name: 'k', prefixes: ['88.118.998'], operations: ['register'] } });
      expect(foreign.body.errors).toEqual(unknown.body.errors);
    });

    it('lets neither another enterprise nor an operator create, and no other enterprise list or revoke, A\'s keys', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['register'] });
      const before = await keyCount();
      expectProblem(await node.refused('POST', keysOf(entA.enterpriseId), { token: entB.token, body: { name: 'k', prefixes: [A], operations: ['register'] } }), 403, 'FORBIDDEN');
      expectProblem(await node.refused('POST', keysOf(entA.enterpriseId), { token: operator, body: { name: 'k', prefixes: [A], operations: ['register'] } }), 403, 'FORBIDDEN');
      expectProblem(await node.refused('GET', keysOf(entA.enterpriseId), { token: entB.token }), 403, 'FORBIDDEN');
      expectProblem(await node.refused('DELETE', `${keysOf(entA.enterpriseId)}/${key.id}`, { token: entB.token }), 403, 'FORBIDDEN');
      // B's own path with A's key id finds nothing: ids do not cross tenants.
      expectProblem(await node.refused('DELETE', `${keysOf(entB.enterpriseId)}/${key.id}`, { token: entB.token }), 404, 'NOT_FOUND');
      expect((await node.request('GET', keysOf(entB.enterpriseId), { token: entB.token })).body.items.map((k: { id: string }) => k.id)).not.toContain(key.id);
      expect(await keyCount()).toBe(before);
      const stillWorks = await node.request('PUT', `/api/handles/${A}/still-${randomUUID()}`, { ...bearer(key.secret), body: record('https://a.example.cn') });
      expect(stillWorks.status).toBe(200);
    });

    it('lets an operator list and revoke an enterprise\'s keys', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['register'] });
      const listed = await node.request('GET', `${keysOf(entA.enterpriseId)}?pageSize=200`, { token: operator });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((k: { id: string }) => k.id)).toContain(key.id);
      expect((await node.request('DELETE', `${keysOf(entA.enterpriseId)}/${key.id}`, { token: operator })).status).toBe(204);
      expectRefusedKey(await node.request('PUT', `/api/handles/${A}/op-revoked`, { ...bearer(key.secret), body: record('https://a.example.cn') }));
    });

    it('refuses a key on the key, grant, account and statistics routes (a key can do only its operations)', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['register', 'update', 'delete', 'capture-events', 'read-events'] });
      for (const [method, path, body] of [
        ['POST', keysOf(entA.enterpriseId), { name: 'k', prefixes: [A], operations: ['register'] }],
        ['GET', keysOf(entA.enterpriseId), undefined],
        ['POST', `/api/v1/enterprises/${entA.enterpriseId}/grants`, { granteeUsername: 'keys-ent-b' }],
        ['POST', '/api/v1/auth/password', { currentPassword: 'keys-pass-a', newPassword: 'keys-pass-z' }],
        ['GET', '/api/v1/stats/resolutions', undefined],
        ['GET', '/api/v1/enterprises/applications', undefined],
        ['POST', '/snms/api/v5/template', {}],
      ] as const) {
        const reply = await node.refused(method, path, { ...header(key.secret), body });
        expect({ path, status: reply.status }).toEqual({ path, status: 403 });
      }
    });
  });

  describe('on every front door, within its operations and prefixes', () => {
    let writer: { id: string; secret: string };
    let reader: { id: string; secret: string };
    let all: { id: string; secret: string };

    beforeAll(async () => {
      writer = await createKey(entA, { prefixes: [A], operations: ['register', 'update', 'delete'] });
      reader = await createKey(entA, { prefixes: [A], operations: ['read-events'] });
      all = await createKey(entA, { prefixes: [A, A2], operations: ['register', 'update', 'delete', 'capture-events', 'read-events'] });
    });

    it.each([
      ['Authorization: Bearer', bearer],
      ['X-API-Key', header],
    ])('writes through Handle REST and SNMS with %s', async (_how, send) => {
      const suffix = randomUUID();
      const put = await node.request('PUT', `/api/handles/${A}/rest-${suffix}`, { ...send(writer.secret), body: record('https://rest.example.cn') });
      expect(put.status).toBe(200);
      const snms = await node.request('POST', '/identityv2/data', { ...send(writer.secret), body: snmsRecord(`${A}/snms-${suffix}`) });
      expect(snms.body).toEqual({ status: 1, message: 'success', data: true });
      const batch = await node.request('POST', '/identityv2/data/batchCreate', { ...send(writer.secret), body: [snmsRecord(`${A}/batch-${suffix}`)] });
      expect(batch.body).toMatchObject({ status: 1 });
      expect(batch.body.data[0]).toEqual({ handle: `${A}/batch-${suffix}`, code: 1, msg: 'success' });
      const deleted = await node.request('DELETE', `/api/handles/${A}/rest-${suffix}`, send(writer.secret));
      expect(deleted.status).toBe(200);
    });

    it('refuses a read-only key every write, on every door, and writes nothing', async () => {
      const suffix = randomUUID();
      const put = await node.refused('PUT', `/api/handles/${A}/ro-${suffix}`, { ...header(reader.secret), body: record('https://ro.example.cn') });
      expect(put.status).toBe(403);
      expect(put.body).toMatchObject({ responseCode: 401 });
      const snms = await node.refused('POST', '/identityv2/data', { ...bearer(reader.secret), body: snmsRecord(`${A}/ro-${suffix}`) });
      expect(snms.status).toBe(403);
      expect(snms.body).toMatchObject({ status: -3 });
      const capture = await node.refused('POST', '/epcis/capture', { ...bearer(reader.secret), body: epcisDocument([objectEvent({ epcs: [`hdl:${A}/RO-1`], action: 'ADD' })]) });
      expect(capture.status).toBe(403);
      const remove = await node.refused('DELETE', `/api/handles/${A}/anything`, header(reader.secret));
      expect(remove.status).toBe(403);
    });

    it('refuses a key scoped to prefix A a write under the enterprise\'s other prefix and under a foreign one', async () => {
      for (const prefix of [A2, B]) {
        const put = await node.refused('PUT', `/api/handles/${prefix}/scoped-${randomUUID()}`, { ...bearer(writer.secret), body: record('https://x.example.cn') });
        expect({ prefix, status: put.status }).toEqual({ prefix, status: 403 });
        const batch = await node.refused('POST', '/identityv2/data/batchCreate', { ...bearer(writer.secret), body: [snmsRecord(`${prefix}/batch-${randomUUID()}`)] });
        expect(batch.body.data[0].code).not.toBe(1);
      }
      const wide = await node.request('PUT', `/api/handles/${A2}/wide-${randomUUID()}`, { ...bearer(all.secret), body: record('https://x.example.cn') });
      expect(wide.status).toBe(200);
      const foreign = await node.refused('PUT', `/api/handles/${B}/wide-${randomUUID()}`, { ...bearer(all.secret), body: record('https://x.example.cn') });
      expect(foreign.status).toBe(403);
    });

    it('does only what its operations allow on a create-or-replace PUT', async () => {
      const registerOnly = await createKey(entA, { prefixes: [A], operations: ['register'] });
      const updateOnly = await createKey(entA, { prefixes: [A], operations: ['update'] });
      const handle = `/api/handles/${A}/cr-${randomUUID()}`;
      expect((await node.refused('PUT', handle, { ...bearer(updateOnly.secret), body: record('https://1.example.cn') })).status).toBe(403);
      expect((await node.request('PUT', handle, { ...bearer(registerOnly.secret), body: record('https://1.example.cn') })).status).toBe(200);
      expect((await node.refused('PUT', handle, { ...bearer(registerOnly.secret), body: record('https://2.example.cn') })).status).toBe(403);
      expect((await node.request('PUT', handle, { ...bearer(updateOnly.secret), body: record('https://3.example.cn') })).status).toBe(200);
      expect((await node.request('GET', handle)).body.values[0].data.value).toBe('https://3.example.cn');
      expect((await node.refused('DELETE', handle, bearer(updateOnly.secret))).status).toBe(403);
    });

    it('captures and reads events only under its prefixes', async () => {
      const events = [objectEvent({ epcs: [`hdl:${A}/KEY-EV-1`], action: 'ADD', bizStep: 'commissioning' })];
      const captured = await node.request('POST', `/epcis/capture?prefix=${A}`, { ...header(all.secret), body: epcisDocument(events) });
      expect(captured.status).toBe(202);
      expect(captured.body).toMatchObject({ status: 'succeeded', stored: 1, enterprisePrefix: A });
      expect((await node.request('GET', `/epcis/capture/${captured.body.captureID}`, header(all.secret))).status).toBe(200);
      const scopedOut = await node.refused('POST', `/epcis/capture?prefix=${A2}`, {
        ...header(writer.secret),
        body: epcisDocument([objectEvent({ epcs: [`hdl:${A2}/KEY-EV-2`], action: 'ADD' })]),
      });
      expect(scopedOut.status).toBe(403);
      const read = await node.request('GET', '/epcis/events', bearer(reader.secret));
      expect(read.status).toBe(200);
      const ids = read.body.epcisBody.queryResults.resultsBody.eventList.map((e: { eventID: string }) => e.eventID);
      expect(ids).toContain(events[0].eventID);
      expect((await node.refused('GET', '/epcis/events', bearer(writer.secret))).status).toBe(403);
      // B's key reads none of A's events.
      const keyB = await createKey(entB, { prefixes: [B], operations: ['read-events'] });
      const readB = await node.request('GET', '/epcis/events', bearer(keyB.secret));
      expect(readB.status).toBe(200);
      expect(readB.body.epcisBody.queryResults.resultsBody.eventList).toEqual([]);
      // A's event by id: refused to B's key exactly as to B's account, without the event.
      const byId = `/epcis/events/${encodeURIComponent(events[0].eventID as string)}`;
      const asKey = await node.request('GET', byId, bearer(keyB.secret));
      const asAccount = await node.request('GET', byId, { token: entB.token });
      expect([403, 404]).toContain(asKey.status);
      expect(asKey.status).toBe(asAccount.status);
      expect(asKey.text).not.toContain('KEY-EV-1');
    });

    it('reads the trace on the native API and private values on the read doors only under its prefixes', async () => {
      const handle = `${A}/private-${randomUUID()}`;
      const values = [
        { index: 1, type: 'URL', data: 'https://public.example.cn' },
        { index: 3, type: 'COST', data: '42.00', permissions: '1100' },
      ];
      expect((await node.request('PUT', `/api/handles/${handle}`, { token: entA.token, body: values })).status).toBe(200);
      const keyB = await createKey(entB, { prefixes: [B], operations: ['register', 'read-events'] });
      const types = (reply: HttpReply) => reply.body.values.map((v: { type: string }) => v.type);
      for (const send of [bearer, header]) {
        expect(types(await node.request('GET', `/api/handles/${handle}`, send(writer.secret)))).toEqual(['URL', 'COST']);
        expect(types(await node.request('GET', `/api/handles/${handle}`, send(keyB.secret)))).toEqual(['URL']);
        const proxied = await node.request('GET', `/${handle}?noredirect`, { ...send(writer.secret), headers: { ...send(writer.secret).headers, accept: 'application/json' } });
        expect(types(proxied)).toEqual(['URL', 'COST']);
      }
      const detail = (secret: string) => node.request('GET', `/identityv2/data/detail?handle=${encodeURIComponent(handle)}`, header(secret));
      expect(JSON.stringify((await detail(writer.secret)).body)).toContain('42.00');
      const foreign = await detail(keyB.secret);
      expect(foreign.body.status).toBe(1);
      expect(JSON.stringify(foreign.body)).not.toContain('42.00');
      const trace = await node.request('GET', `/api/v1/trace/${A}/KEY-EV-1`, bearer(reader.secret));
      expect(trace.status).toBe(200);
      expect((await node.refused('GET', `/api/v1/trace/${A}/KEY-EV-1`, bearer(writer.secret))).status).toBe(403);
    });

    it('records the last use, at most once a minute', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['read-events'] });
      expect((await node.request('GET', '/epcis/events', header(key.secret))).status).toBe(200);
      const first = await waitFor('the last use to be recorded', async () => {
        const row = await node.db.client.query<{ last_used_at: Date | null }>(`SELECT last_used_at FROM api_keys WHERE id = $1`, [key.id]);
        return row.rows[0].last_used_at;
      });
      for (let i = 0; i < 3; i += 1) expect((await node.request('GET', '/epcis/events', header(key.secret))).status).toBe(200);
      const listed = await node.request('GET', keysOf(entA.enterpriseId), { token: entA.token });
      expect(listed.body.items.find((k: { id: string }) => k.id === key.id).lastUsedAt).toBe(first.toISOString());
    });
  });

  describe('refused keys', () => {
    it('refuses a revoked key at once (401 invalid_token) on every door', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['register', 'read-events'] });
      expect((await node.request('GET', '/epcis/events', bearer(key.secret))).status).toBe(200);
      expect((await node.request('DELETE', `${keysOf(entA.enterpriseId)}/${key.id}`, { token: entA.token })).status).toBe(204);
      expectRefusedKey(await node.refused('GET', '/epcis/events', bearer(key.secret)));
      expectRefusedKey(await node.refused('PUT', `/api/handles/${A}/revoked`, { ...header(key.secret), body: record('https://x.example.cn') }));
      expectRefusedKey(await node.refused('POST', '/identityv2/data', { ...header(key.secret), body: {} }));
      expectRefusedKey(await node.request('GET', `/api/handles/${A}/revoked`, header(key.secret)));
      const listed = await node.request('GET', keysOf(entA.enterpriseId), { token: entA.token });
      expect(listed.body.items.find((k: { id: string }) => k.id === key.id)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    });

    it('refuses an expired key', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['read-events'] });
      await node.db.client.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [key.id]);
      // Within AUTH_CACHE_MS the node may still hold the key's row; the expiry is checked on every use.
      const refused = await waitFor('the expired key to be refused', async () => {
        const reply = await node.request('GET', '/epcis/events', bearer(key.secret));
        return reply.status === 401 ? reply : undefined;
      }, { timeoutMs: 5000 });
      expectRefusedKey(refused);
      expect(refused.headers.get('www-authenticate')).toMatch(/expired/);
    });

    it.each([
      ['an unknown key', `idk_${'A'.repeat(43)}`],
      ['a truncated key', 'idk_short'],
      ['a key with a space inside', `idk_${'A'.repeat(20)} ${'A'.repeat(22)}`],
    ])('refuses %s', async (_what, secret) => {
      expectRefusedKey(await node.refused('GET', '/epcis/events', header(secret)));
    });

    it('refuses a key with one character changed', async () => {
      const key = await createKey(entA, { prefixes: [A], operations: ['read-events'] });
      const altered = key.secret.slice(0, -1) + (key.secret.endsWith('A') ? 'B' : 'A');
      expectRefusedKey(await node.refused('GET', '/epcis/events', header(altered)));
      expect((await node.request('GET', '/epcis/events', header(key.secret))).status).toBe(200);
    });

    it('revokes every key of a deactivated enterprise in the deactivation\'s transaction', async () => {
      const doomed = await node.approvedEnterprise('88.118.93', 'keys-doomed', 'keys-pass-d');
      const key = await createKey(doomed, { prefixes: ['88.118.93'], operations: ['register', 'read-events'] });
      expect((await node.request('GET', '/epcis/events', bearer(key.secret))).status).toBe(200);
      const deactivated = await node.request('POST', `/api/v1/enterprises/${doomed.enterpriseId}/deactivate`, { token: operator, body: { reason: 'gone' } });
      expect(deactivated.status).toBe(200);
      const row = await node.db.client.query(`SELECT revoked_at IS NOT NULL AS revoked, revoked_by FROM api_keys WHERE id = $1`, [key.id]);
      expect(row.rows).toEqual([{ revoked: true, revoked_by: 'deactivation' }]);
      expectRefusedKey(await node.request('GET', '/epcis/events', bearer(key.secret)));
      // Other tenants' keys keep working.
      const keyB = await createKey(entB, { prefixes: [B], operations: ['read-events'] });
      expect((await node.request('GET', '/epcis/events', bearer(keyB.secret))).status).toBe(200);
    });
  });

  it('is documented in OpenAPI: the key routes, the account routes and the X-API-Key scheme on the routes that take keys', async () => {
    const doc = (await node.request('GET', '/docs/openapi.json')).body;
    expect(doc.components.securitySchemes['api-key']).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }));
    expect(Object.keys(doc.paths['/api/v1/enterprises/{enterpriseId}/api-keys']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/enterprises/{enterpriseId}/api-keys/{keyId}'])).toEqual(['delete']);
    expect(doc.paths['/api/v1/enterprises/{enterpriseId}/api-keys'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'prefixes', 'operations']);
    for (const path of ['/api/v1/auth/password', '/api/v1/enterprises/{enterpriseId}/account/unlock', '/api/v1/enterprises/{enterpriseId}/account/password-reset']) {
      expect(doc.paths[path]?.post).toBeDefined();
    }
    expect(doc.paths['/api/v1/auth/token'].post.responses['429']).toBeDefined();
    const keyed = Object.entries(doc.paths as Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.security?.some((s) => 'api-key' in s))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(keyed).toEqual(expect.arrayContaining(['POST /identityv2/data', 'POST /identityv2/data/batchCreate', 'POST /epcis/capture']));
    expect(keyed.some((route) => route.startsWith('PUT /api/handles/'))).toBe(true);
  });

  async function keyCount(): Promise<number> {
    return Number((await node.db.client.query(`SELECT count(*) AS n FROM api_keys`)).rows[0].n);
  }
});
