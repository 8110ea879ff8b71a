import type { NormalisedEvent } from '@idis/epcis';
import { at, objectEvent, seedEvents } from '../support/epcis-seed';
import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';

const A = '88.118.30';
const B = '88.118.31';
const PRODUCT = `hdl:${A}/GRANTED-1`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, detail: expect.any(String) });
}

function eventIds(reply: HttpReply): string[] {
  return reply.body.epcisBody.queryResults.resultsBody.eventList.map((e: { eventID: string }) => e.eventID);
}

describe('who may read traceability events: partners and grants', () => {
  let node: TestNode;
  let operator: string;
  let entA: EnterpriseFixture;
  let entB: EnterpriseFixture;
  let eventsA: NormalisedEvent[];
  let eventsB: NormalisedEvent[];

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    entA = await node.approvedEnterprise(A, 'grant-ent-a');
    entB = await node.approvedEnterprise(B, 'grant-ent-b');
    eventsA = await seedEvents(
      node,
      A,
      Array.from({ length: 25 }, (_, i) => objectEvent({ time: at(i * 2), epcs: [i === 0 ? PRODUCT : `hdl:${A}/ITEM-${i}`], bizStep: 'commissioning', action: 'ADD' })),
    );
    // B's events interleave with A's in time, so an unfiltered page would mix them.
    eventsB = await seedEvents(node, B, Array.from({ length: 25 }, (_, i) => objectEvent({ time: at(i * 2 + 1), epcs: [`hdl:${B}/ITEM-${i}`], bizStep: 'receiving' })));
  });

  afterAll(async () => {
    await node?.stop();
  });

  const grantsOf = (enterpriseId: string) => `/api/v1/enterprises/${enterpriseId}/grants`;
  const grantCount = async () => Number((await node.db.client.query(`SELECT count(*) AS n FROM partner_grants`)).rows[0].n);
  const accountCount = async () => Number((await node.db.client.query(`SELECT count(*) AS n FROM accounts`)).rows[0].n);

  async function partner(username: string): Promise<string> {
    const reply = await node.request('POST', '/api/v1/partners', { token: operator, body: { username, password: 'partner-pass-1', orgName: `Org ${username}` } });
    expect(reply.status).toBe(201);
    return node.token(username, 'partner-pass-1');
  }

  async function allPages(token: string, perPage: number): Promise<{ ids: string[]; pageSizes: number[] }> {
    const ids: string[] = [];
    const pageSizes: number[] = [];
    let url: string | null = `/epcis/events?perPage=${perPage}`;
    for (let pages = 0; url !== null; pages += 1) {
      if (pages > 100) throw new Error('too many pages');
      const reply: HttpReply = await node.request('GET', url, { token });
      expect(reply.status).toBe(200);
      pageSizes.push(eventIds(reply).length);
      ids.push(...eventIds(reply));
      url = /^<([^>]+)>; rel="next"$/.exec(reply.headers.get('link') ?? '')?.[1] ?? null;
    }
    return { ids, pageSizes };
  }

  describe('POST /api/v1/partners', () => {
    it('lets an operator create a partner account that can log in', async () => {
      const reply = await node.request('POST', '/api/v1/partners', { token: operator, body: { username: 'partner-one', password: 'partner-pass-1', orgName: '武汉物流有限公司' } });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({ id: expect.stringMatching(UUID), username: 'partner-one', role: 'partner', orgName: '武汉物流有限公司', status: 'active', createdBy: 'operator', createdAt: expect.any(String) });
      expect(JSON.stringify(reply.body)).not.toContain('partner-pass-1');
      const row = await node.db.client.query(`SELECT role, enterprise_id FROM accounts WHERE username = 'partner-one'`);
      expect(row.rows).toEqual([{ role: 'partner', enterprise_id: null }]);
      expect(typeof (await node.token('partner-one', 'partner-pass-1'))).toBe('string');
      const listed = await node.request('GET', '/api/v1/partners', { token: operator });
      expect(listed.body.items.map((p: { username: string }) => p.username)).toContain('partner-one');
    });

    it('refuses anyone but an operator, a taken username and a bad body, creating nothing', async () => {
      const body = { username: 'partner-two', password: 'partner-pass-1', orgName: 'Org' };
      const before = await accountCount();
      expectProblem(await node.request('POST', '/api/v1/partners', { body }), 401, 'AUTHENTICATION_REQUIRED');
      expectProblem(await node.request('POST', '/api/v1/partners', { token: entA.token, body }), 403, 'FORBIDDEN');
      expectProblem(await node.request('POST', '/api/v1/partners', { token: operator, body: { ...body, username: 'grant-ent-a' } }), 409, 'CONFLICT');
      expectProblem(await node.request('POST', '/api/v1/partners', { token: operator, body: { ...body, role: 'operator' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', '/api/v1/partners', { token: operator, body: { ...body, password: 'short' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', '/api/v1/partners', { token: operator, body: { ...body, orgName: '   ' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', '/api/v1/partners', { token: operator, body: { username: 'x', password: 'partner-pass-1', orgName: 'Org' } }), 400, 'VALIDATION_FAILED');
      expect(await accountCount()).toBe(before);
    });

    it('gives a partner no write access and no statistics', async () => {
      const token = await partner('partner-readonly');
      expect((await node.request('PUT', `/api/handles/${A}/X`, { token, body: { values: [] } })).status).toBe(403);
      expectProblem(await node.request('GET', '/api/v1/stats/resolutions', { token }), 403, 'FORBIDDEN');
      expectProblem(await node.request('GET', grantsOf(entA.enterpriseId), { token }), 403, 'FORBIDDEN');
    });
  });

  describe('grants API', () => {
    it('lets the enterprise grant, list and revoke; refuses duplicates and strangers', async () => {
      await partner('partner-g');
      const granted = await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'partner-g' } });
      expect(granted.status).toBe(201);
      expect(granted.body).toEqual({
        id: expect.stringMatching(UUID),
        enterpriseId: entA.enterpriseId,
        grantee: { accountId: expect.stringMatching(UUID), username: 'partner-g', role: 'partner', orgName: 'Org partner-g' },
        grantedBy: 'grant-ent-a',
        createdAt: expect.any(String),
      });
      const count = await grantCount();
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'partner-g' } }), 409, 'CONFLICT');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entB.token, body: { granteeUsername: 'partner-g' } }), 403, 'FORBIDDEN');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { body: { granteeUsername: 'partner-g' } }), 401, 'AUTHENTICATION_REQUIRED');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'nobody-here' } }), 404, 'NOT_FOUND');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'operator' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'grant-ent-a' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'partner-g', extra: 1 } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: {} }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', grantsOf('not-a-uuid'), { token: operator, body: { granteeUsername: 'partner-g' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.request('POST', grantsOf('00000000-0000-4000-8000-000000000000'), { token: operator, body: { granteeUsername: 'partner-g' } }), 404, 'NOT_FOUND');
      expect(await grantCount()).toBe(count);

      const listed = await node.request('GET', grantsOf(entA.enterpriseId), { token: entA.token });
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([granted.body]);
      expect((await node.request('GET', grantsOf(entA.enterpriseId), { token: operator })).body.items).toEqual([granted.body]);
      expectProblem(await node.request('GET', grantsOf(entA.enterpriseId), { token: entB.token }), 403, 'FORBIDDEN');

      expectProblem(await node.request('DELETE', `${grantsOf(entA.enterpriseId)}/${granted.body.id}`, { token: entB.token }), 403, 'FORBIDDEN');
      expectProblem(await node.request('DELETE', `${grantsOf(entB.enterpriseId)}/${granted.body.id}`, { token: entB.token }), 404, 'NOT_FOUND');
      const revoked = await node.request('DELETE', `${grantsOf(entA.enterpriseId)}/${granted.body.id}`, { token: entA.token });
      expect(revoked.status).toBe(204);
      expectProblem(await node.request('DELETE', `${grantsOf(entA.enterpriseId)}/${granted.body.id}`, { token: entA.token }), 404, 'NOT_FOUND');
      expect((await node.request('GET', grantsOf(entA.enterpriseId), { token: entA.token })).body.items).toEqual([]);
    });

    it('lets an operator grant on behalf of an enterprise, also to another enterprise', async () => {
      const reply = await node.request('POST', grantsOf(entB.enterpriseId), { token: operator, body: { granteeUsername: 'grant-ent-a' } });
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ grantedBy: 'operator', grantee: { username: 'grant-ent-a', role: 'enterprise', orgName: 'Org of grant-ent-a' } });
      // A now reads B's events besides its own; B does not read A's.
      const { ids } = await allPages(entA.token, 1000);
      expect(ids.sort()).toEqual([...eventsA, ...eventsB].map((e) => e.eventId).sort());
      const revoked = await node.request('DELETE', `${grantsOf(entB.enterpriseId)}/${reply.body.id}`, { token: operator });
      expect(revoked.status).toBe(204);
      expect((await allPages(entA.token, 1000)).ids.sort()).toEqual(eventsA.map((e) => e.eventId).sort());
    });
  });

  describe('the permission matrix', () => {
    type Caller = 'owner' | 'other enterprise' | 'partner without grant' | 'partner with grant' | 'after revoke' | 'operator' | 'anonymous';
    const tokens = new Map<Caller, string | undefined>();
    let grantId: string;

    beforeAll(async () => {
      tokens.set('owner', entA.token);
      tokens.set('other enterprise', entB.token);
      tokens.set('partner without grant', await partner('matrix-ungranted'));
      tokens.set('partner with grant', await partner('matrix-granted'));
      tokens.set('operator', operator);
      tokens.set('anonymous', undefined);
      const granted = await node.request('POST', grantsOf(entA.enterpriseId), { token: entA.token, body: { granteeUsername: 'matrix-granted' } });
      expect(granted.status).toBe(201);
      grantId = granted.body.id;
    });

    const eventOfA = () => eventsA[0].eventId;
    const reads = (token: string | undefined) => ({
      event: () => node.request('GET', `/epcis/events/${encodeURIComponent(eventOfA())}`, { token }),
      epc: () => node.request('GET', `/epcis/epcs/${encodeURIComponent(PRODUCT)}/events`, { token }),
      query: () => node.request('GET', `/epcis/events?MATCH_anyEPC=${encodeURIComponent(PRODUCT)}`, { token }),
      trace: () => node.request('GET', `/api/v1/trace/${A}/GRANTED-1`, { token }),
    });

    async function expectCanRead(token: string | undefined): Promise<void> {
      const r = reads(token);
      expect(eventIds(await r.event())).toEqual([eventOfA()]);
      expect(eventIds(await r.epc())).toEqual([eventOfA()]);
      expect(eventIds(await r.query())).toEqual([eventOfA()]);
      const trace = await r.trace();
      expect(trace.status).toBe(200);
      expect(trace.body.timeline.map((e: { eventID: string }) => e.eventID)).toEqual([eventOfA()]);
    }

    async function expectRefused(token: string | undefined, status: 401 | 403, listStatus: 200 | 401 | 403): Promise<void> {
      const r = reads(token);
      const type = 'epcisException:SecurityException';
      for (const reply of [await r.event(), await r.epc()]) {
        expect(reply.status).toBe(status);
        expect(reply.body).toMatchObject({ type, status });
      }
      const query = await r.query();
      expect(query.status).toBe(listStatus);
      if (listStatus === 200) expect(eventIds(query)).toEqual([]);
      else expect(query.body).toMatchObject({ type, status: listStatus });
      expectProblem(await r.trace(), status, status === 401 ? 'AUTHENTICATION_REQUIRED' : 'FORBIDDEN');
    }

    it('owner enterprise: reads its events', async () => expectCanRead(tokens.get('owner')));
    it('operator: reads every event', async () => expectCanRead(tokens.get('operator')));
    it('partner with grant: reads the granting enterprise\'s events', async () => expectCanRead(tokens.get('partner with grant')));
    it('other enterprise: 403 on A\'s events, its own queries show none of them', async () => expectRefused(tokens.get('other enterprise'), 403, 200));
    it('partner without grant: 403 everywhere', async () => expectRefused(tokens.get('partner without grant'), 403, 403));
    it('anonymous: 401 everywhere', async () => expectRefused(undefined, 401, 401));

    it('a partner\'s queries are filtered in SQL: full pages of the granting enterprise\'s events only', async () => {
      const { ids, pageSizes } = await allPages(tokens.get('partner with grant') as string, 4);
      expect(ids.sort()).toEqual(eventsA.map((e) => e.eventId).sort());
      expect(pageSizes).toEqual([4, 4, 4, 4, 4, 4, 1]);
    });

    it('after revoke: refused at once, with the same token', async () => {
      const token = tokens.get('partner with grant');
      const firstPage = await node.request('GET', '/epcis/events?perPage=2', { token });
      const next = /^<([^>]+)>; rel="next"$/.exec(firstPage.headers.get('link') ?? '')?.[1] as string;
      expect(next).toBeDefined();
      const revoked = await node.request('DELETE', `${grantsOf(entA.enterpriseId)}/${grantId}`, { token: entA.token });
      expect(revoked.status).toBe(204);
      await expectRefused(token, 403, 403);
      // A page token issued before the revocation reads nothing more either.
      const rest = await node.request('GET', next, { token });
      expect(rest.status).toBe(403);
    });
  });
});
