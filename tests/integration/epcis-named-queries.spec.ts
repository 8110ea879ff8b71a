import { Client } from 'pg';
import WebSocket from 'ws';
import { EventFeed } from '../../apps/secondary-node/src/traceability/subscriptions/event-feed';
import { eventMatches } from '../../apps/secondary-node/src/traceability/subscriptions/event-matcher';
import { parseDefinition } from '../../apps/secondary-node/src/traceability/subscriptions/named-queries.service';
import { SubscriptionDelivery } from '../../apps/secondary-node/src/traceability/subscriptions/subscription-delivery';
import { SubscriptionsRepository } from '../../apps/secondary-node/src/traceability/subscriptions/subscriptions.repository';
import { aggregationEvent, at, objectEvent, seedEvents, transformationEvent } from '../support/epcis-seed';
import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/**
 * EPCIS 2.0 REST binding `/queries`: named queries (create, list, read, run, delete) and webhook
 * subscriptions, each with good and bad input, owned by their creator and invisible to every
 * other tenant. Subscriptions end to end (delivery, restarts) are in tests/e2e/epcis-subscriptions.spec.ts.
 */
const A = '88.118.30';
const B = '88.118.31';
const SGTIN = (serial: string) => `urn:epc:id:sgtin:0614141.107346.${serial}`;
const DOCK = 'urn:epc:id:sgln:0614141.00777.0';
const STORE = 'urn:epc:id:sgln:0614141.00888.0';

function eventIds(reply: HttpReply): string[] {
  expect(reply.status).toBe(200);
  return reply.body.epcisBody.queryResults.resultsBody.eventList.map((event: { eventID: string }) => event.eventID);
}

function expectProblem(reply: HttpReply, status: number, type: string, detail?: RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ type, status });
  if (detail) expect(reply.body.detail).toMatch(detail);
}

describe('EPCIS 2.0 named queries and webhook subscriptions', () => {
  let node: TestNode;
  let operator: string;
  let a: EnterpriseFixture;
  let b: EnterpriseFixture;
  let partner: string;

  /** What a refused request must leave untouched: every named query and subscription row. */
  async function queryTables(): Promise<string> {
    const rows = await node.db.client.query<{ q: string; s: string }>(
      `SELECT (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM epcis_named_queries t) AS q,
              (SELECT md5(coalesce(string_agg(s.id::text || s.dest || s.owner, '|' ORDER BY s.id), '')) FROM epcis_subscriptions s) AS s`,
    );
    return `${rows.rows[0].q}/${rows.rows[0].s}`;
  }

  async function refused(method: string, path: string, options: Parameters<TestNode['request']>[2]): Promise<HttpReply> {
    const before = await queryTables();
    const reply = await node.request(method, path, options);
    expect(await queryTables()).toBe(before);
    return reply;
  }

  beforeAll(async () => {
    node = await TestNode.start({ EPCIS_NAMED_QUERIES_MAX: '8', EPCIS_SUBSCRIPTIONS_MAX: '3', EPCIS_WEBHOOK_RETRY_BASE_MS: '60000' });
    operator = await node.operatorToken();
    a = await node.approvedEnterprise(A, 'named-ent-a');
    b = await node.approvedEnterprise(B, 'named-ent-b');
    const created = await node.request('POST', '/api/v1/partners', { token: operator, body: { username: 'named-partner', password: 'partner-pass-1', orgName: 'Named Partner Ltd.' } });
    expect(created.status).toBe(201);
    partner = await node.token('named-partner', 'partner-pass-1');
    expect((await node.request('POST', `/api/v1/enterprises/${a.enterpriseId}/grants`, { token: a.token, body: { granteeUsername: 'named-partner' } })).status).toBe(201);
    await seedEvents(node, A, [
      objectEvent({ time: at(0), epcs: [SGTIN('1'), SGTIN('2')], bizStep: 'shipping', disposition: 'in_transit', readPoint: DOCK, bizLocation: STORE }),
      objectEvent({ time: at(1), epcs: [SGTIN('3')], bizStep: 'receiving', readPoint: DOCK }),
      aggregationEvent({ time: at(2), parent: 'urn:epc:id:sscc:0614141.1234567890', children: [SGTIN('1')], bizStep: 'packing' }),
      transformationEvent({ time: at(3), inputs: [SGTIN('5')], outputs: [SGTIN('9')], bizStep: 'commissioning' }),
    ]);
    await seedEvents(node, B, [objectEvent({ time: at(4), epcs: [SGTIN('b1')], bizStep: 'shipping', readPoint: DOCK })]);
  });

  afterAll(async () => {
    await node?.stop();
  });

  describe('create, read, list, delete', () => {
    it('creates a named query (201, Location) and reads its definition back', async () => {
      const reply = await node.request('POST', '/epcis/queries', { token: a.token, body: { name: 'shipments', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['shipping', 'receiving'] } } });
      expect(reply.status).toBe(201);
      expect(reply.headers.get('location')).toBe('/epcis/queries/shipments');
      expect(reply.body).toMatchObject({ name: 'shipments', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['shipping', 'receiving'] } });
      const read = await node.request('GET', '/epcis/queries/shipments', { token: a.token });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ name: 'shipments', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['shipping', 'receiving'] } });
    });

    it('runs the query with the caller’s read scope, as GET /epcis/events answers the same parameters, paged', async () => {
      const direct = eventIds(await node.request('GET', '/epcis/events?eventType=ObjectEvent&EQ_bizStep=shipping|receiving', { token: a.token }));
      expect(direct).toHaveLength(2);
      const run = await node.request('GET', '/epcis/queries/shipments/events', { token: a.token });
      expect(eventIds(run)).toEqual(direct);
      expect(run.body.epcisBody.queryResults.queryName).toBe('shipments');
      const first = await node.request('GET', '/epcis/queries/shipments/events?perPage=1', { token: a.token });
      expect(eventIds(first)).toEqual([direct[0]]);
      const link = /^<([^>]+)>; rel="next"$/.exec(first.headers.get('link') ?? '') as RegExpExecArray;
      expect(link).not.toBeNull();
      const second = await node.request('GET', link[1], { token: a.token });
      expect(eventIds(second)).toEqual([direct[1]]);
      expect(second.headers.get('link')).toBeNull();
    });

    it('lists only the caller’s queries, by name, paged with Link rel="next"', async () => {
      for (const name of ['b-query', 'c-query']) {
        expect((await node.request('POST', '/epcis/queries', { token: a.token, body: { name, query: {} } })).status).toBe(201);
      }
      const first = await node.request('GET', '/epcis/queries?perPage=2', { token: a.token });
      expect(first.status).toBe(200);
      expect(first.body.map((q: { name: string }) => q.name)).toEqual(['b-query', 'c-query']);
      const link = /^<([^>]+)>; rel="next"$/.exec(first.headers.get('link') ?? '') as RegExpExecArray;
      const second = await node.request('GET', link[1], { token: a.token });
      expect(second.body.map((q: { name: string }) => q.name)).toEqual(['shipments']);
      expect(second.headers.get('link')).toBeNull();
      expect((await node.request('GET', '/epcis/queries', { token: b.token })).body).toEqual([]);
    });

    it('deletes a query (204), after which it is gone', async () => {
      expect((await node.request('DELETE', '/epcis/queries/c-query', { token: a.token })).status).toBe(204);
      expectProblem(await node.request('GET', '/epcis/queries/c-query', { token: a.token }), 404, 'epcisException:NoSuchResourceException');
      expectProblem(await node.request('DELETE', '/epcis/queries/c-query', { token: a.token }), 404, 'epcisException:NoSuchResourceException');
    });
  });

  describe('bad input changes nothing', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['no name', { query: {} }, /name is 1 to 128 characters/],
      ['a name that is no path segment', { name: 'a/b', query: {} }, /name is 1 to 128 characters/],
      ['a name too long', { name: 'x'.repeat(129), query: {} }, /name is 1 to 128 characters/],
      ['no query', { name: 'q1' }, /query is a JSON object/],
      ['a query that is a list', { name: 'q1', query: ['EQ_bizStep'] }, /query is a JSON object/],
      ['an unknown parameter', { name: 'q1', query: { EQ_colour: ['red'] } }, /unsupported query parameter "EQ_colour"/],
      ['a malformed value', { name: 'q1', query: { eventType: ['BogusEvent'] } }, /eventType/],
      ['a malformed time', { name: 'q1', query: { GE_eventTime: 'yesterday' } }, /GE_eventTime/],
      ['paging inside the query', { name: 'q1', query: { perPage: 5 } }, /perPage belongs to one request/],
      ['a value of the wrong type', { name: 'q1', query: { EQ_bizStep: { a: 1 } } }, /EQ_bizStep takes a string/],
      ['an unknown field', { name: 'q1', query: {}, owner: 'someone' }, /unknown field "owner"/],
    ];
    it.each(cases)('refuses %s with 400', async (_what, body, detail) => {
      const reply = await refused('POST', '/epcis/queries', { token: a.token, body });
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toMatch(detail);
    });

    it('refuses a name the owner already uses (409), but another tenant may use it', async () => {
      const reply = await refused('POST', '/epcis/queries', { token: a.token, body: { name: 'shipments', query: {} } });
      expect(reply.status).toBe(409);
      const theirs = await node.request('POST', '/epcis/queries', { token: b.token, body: { name: 'shipments', query: { EQ_bizStep: 'shipping' } } });
      expect(theirs.status).toBe(201);
      // Each runs its own definition on its own events.
      expect(eventIds(await node.request('GET', '/epcis/queries/shipments/events', { token: b.token }))).toHaveLength(1);
      expect(eventIds(await node.request('GET', '/epcis/queries/shipments/events', { token: a.token }))).toHaveLength(2);
    });

    it('refuses more than EPCIS_NAMED_QUERIES_MAX queries of one owner', async () => {
      const owned = (await node.request('GET', '/epcis/queries?perPage=100', { token: a.token })).body.length as number;
      for (let i = owned; i < 8; i += 1) expect((await node.request('POST', '/epcis/queries', { token: a.token, body: { name: `filler-${i}`, query: {} } })).status).toBe(201);
      const reply = await refused('POST', '/epcis/queries', { token: a.token, body: { name: 'one-too-many', query: {} } });
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toMatch(/EPCIS_NAMED_QUERIES_MAX/);
      for (let i = owned; i < 8; i += 1) expect((await node.request('DELETE', `/epcis/queries/filler-${i}`, { token: a.token })).status).toBe(204);
    });

    it('refuses anonymous callers (401) and run parameters that belong in the definition (400)', async () => {
      expectProblem(await refused('POST', '/epcis/queries', { body: { name: 'anon', query: {} } }), 401, 'epcisException:SecurityException');
      expectProblem(await node.request('GET', '/epcis/queries', {}), 401, 'epcisException:SecurityException');
      expectProblem(await node.request('GET', '/epcis/queries/shipments/events?EQ_bizStep=shipping', { token: a.token }), 400, 'epcisException:QueryParameterException', /unsupported query parameter/);
      expectProblem(await node.request('GET', '/epcis/queries/shipments/events?stream=true', { token: a.token }), 400, 'epcisException:QueryParameterException', /WebSocket/);
      expectProblem(await node.request('GET', '/epcis/queries?nextPageToken=garbage', { token: a.token }), 400, 'epcisException:QueryParameterException');
    });
  });

  describe('tenants are strangers', () => {
    it('another enterprise can neither see, run nor delete the query (404, as if it did not exist)', async () => {
      expect((await node.request('POST', '/epcis/queries', { token: a.token, body: { name: 'a-only', query: {} } })).status).toBe(201);
      expectProblem(await node.request('GET', '/epcis/queries/a-only', { token: b.token }), 404, 'epcisException:NoSuchResourceException');
      expectProblem(await node.request('GET', '/epcis/queries/a-only/events', { token: b.token }), 404, 'epcisException:NoSuchResourceException');
      expectProblem(await refused('DELETE', '/epcis/queries/a-only', { token: b.token }), 404, 'epcisException:NoSuchResourceException');
      expectProblem(
        await refused('POST', '/epcis/queries/a-only/subscriptions', { token: b.token, body: { dest: 'https://93.184.216.34/hook', signatureToken: 'secret-of-b-1', stream: true } }),
        404,
        'epcisException:NoSuchResourceException',
      );
      expect((await node.request('GET', '/epcis/queries/a-only', { token: a.token })).status).toBe(200);
    });

    it('a partner’s query is its own, and runs over what it was granted only', async () => {
      const created = await node.request('POST', '/epcis/queries', { token: partner, body: { name: 'docks', query: { EQ_readPoint: DOCK } } });
      expect(created.status).toBe(201);
      // Events at DOCK exist under A (granted) and B (not granted): the partner sees A's only.
      const seen = eventIds(await node.request('GET', '/epcis/queries/docks/events', { token: partner }));
      const ofA = eventIds(await node.request('GET', `/epcis/events?EQ_readPoint=${encodeURIComponent(DOCK)}`, { token: a.token }));
      expect(seen.sort()).toEqual(ofA.sort());
      expect(seen).toHaveLength(2);
      expectProblem(await node.request('GET', '/epcis/queries/docks', { token: a.token }), 404, 'epcisException:NoSuchResourceException');
      expectProblem(await node.request('GET', '/epcis/queries/docks', { token: operator }), 404, 'epcisException:NoSuchResourceException');
    });
  });

  describe('webhook subscriptions', () => {
    it('refuses bad targets and bad bodies with 400, unknown queries with 404, and changes nothing', async () => {
      const subscribe = (body: unknown, name = 'shipments') => refused('POST', `/epcis/queries/${name}/subscriptions`, { token: a.token, body });
      const good = { signatureToken: 'a-good-secret-1', stream: true };
      const bad: Array<[unknown, RegExp]> = [
        [{ ...good, dest: 'not a url' }, /not an absolute URL/],
        [{ ...good, dest: 'ftp://93.184.216.34/x' }, /http or https/],
        [{ ...good, dest: 'http://user:pw@93.184.216.34/x' }, /credentials/],
        [{ ...good, dest: 'http://127.0.0.1:9/hook' }, /loopback, private or reserved/],
        [{ ...good, dest: 'http://10.1.2.3/hook' }, /loopback, private or reserved/],
        [{ ...good, dest: 'http://192.168.0.10/hook' }, /loopback, private or reserved/],
        [{ ...good, dest: 'http://169.254.169.254/latest/meta-data' }, /loopback, private or reserved/],
        [{ ...good, dest: 'http://[::1]/hook' }, /loopback, private or reserved/],
        [{ ...good, dest: 'http://[::ffff:127.0.0.1]/hook' }, /loopback, private or reserved/],
        [{ ...good, dest: 'http://localhost/hook' }, /loopback, private or reserved/],
        [{ ...good, dest: `https://93.184.216.34/${'x'.repeat(2100)}` }, /at most 2048/],
        [{ dest: 'https://93.184.216.34/hook', stream: true }, /signatureToken/],
        [{ dest: 'https://93.184.216.34/hook', signatureToken: 'short', stream: true }, /signatureToken/],
        [{ dest: 'https://93.184.216.34/hook', signatureToken: 'a-good-secret-1' }, /"stream": true/],
        [{ ...good, dest: 'https://93.184.216.34/hook', schedule: { hour: '1' } }, /scheduled subscriptions are not supported/],
        [{ ...good, dest: 'https://93.184.216.34/hook', initialRecordTime: 'last week' }, /initialRecordTime/],
        [{ ...good, dest: 'https://93.184.216.34/hook', extra: 1 }, /unknown field "extra"/],
      ];
      for (const [body, detail] of bad) {
        const reply = await subscribe(body);
        expect({ body, status: reply.status }).toEqual({ body, status: 400 });
        expect(reply.body.detail).toMatch(detail);
      }
      expectProblem(await subscribe({ ...good, dest: 'https://93.184.216.34/hook' }, 'no-such-query'), 404, 'epcisException:NoSuchResourceException');
    });

    it('creates a subscription (201, Location, no secret shown), lists and deletes it; another tenant cannot', async () => {
      const reply = await node.request('POST', '/epcis/queries/shipments/subscriptions', {
        token: a.token,
        body: { dest: 'https://93.184.216.34/epcis/hook', signatureToken: 'a-good-secret-1', stream: true },
      });
      expect(reply.status).toBe(201);
      expect(reply.headers.get('location')).toBe(`/epcis/queries/shipments/subscriptions/${reply.body.subscriptionID}`);
      expect(reply.body).toMatchObject({ queryName: 'shipments', dest: 'https://93.184.216.34/epcis/hook', stream: true });
      expect(JSON.stringify(reply.body)).not.toContain('a-good-secret-1');
      const stored = await node.db.client.query<{ sealed_secret: string }>(`SELECT sealed_secret FROM epcis_subscriptions WHERE id = $1`, [reply.body.subscriptionID]);
      expect(stored.rows[0].sealed_secret).not.toContain('a-good-secret-1');
      const list = await node.request('GET', '/epcis/queries/shipments/subscriptions', { token: a.token });
      expect(list.body.map((s: { subscriptionID: string }) => s.subscriptionID)).toEqual([reply.body.subscriptionID]);
      // B has its own query named "shipments": it sees its own (none), never A's.
      expect((await node.request('GET', '/epcis/queries/shipments/subscriptions', { token: b.token })).body).toEqual([]);
      expectProblem(await refused('DELETE', `/epcis/queries/shipments/subscriptions/${reply.body.subscriptionID}`, { token: b.token }), 404, 'epcisException:NoSuchResourceException');
      expectProblem(await node.request('GET', `/epcis/queries/shipments/subscriptions/${reply.body.subscriptionID}`, { token: b.token }), 404, 'epcisException:NoSuchResourceException');
      expect((await node.request('DELETE', `/epcis/queries/shipments/subscriptions/${reply.body.subscriptionID}`, { token: a.token })).status).toBe(204);
      expect((await node.request('GET', '/epcis/queries/shipments/subscriptions', { token: a.token })).body).toEqual([]);
    });

    it('refuses more than EPCIS_SUBSCRIPTIONS_MAX subscriptions of one owner; deleting the query removes its subscriptions', async () => {
      expect((await node.request('POST', '/epcis/queries', { token: a.token, body: { name: 'many-subs', query: {} } })).status).toBe(201);
      for (let i = 0; i < 3; i += 1) {
        const reply = await node.request('POST', '/epcis/queries/many-subs/subscriptions', { token: a.token, body: { dest: `https://93.184.216.34/hook/${i}`, signatureToken: 'a-good-secret-1', stream: true } });
        expect(reply.status).toBe(201);
      }
      const reply = await refused('POST', '/epcis/queries/many-subs/subscriptions', { token: a.token, body: { dest: 'https://93.184.216.34/hook/4', signatureToken: 'a-good-secret-1', stream: true } });
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toMatch(/EPCIS_SUBSCRIPTIONS_MAX/);
      expect((await node.request('DELETE', '/epcis/queries/many-subs', { token: a.token })).status).toBe(204);
      const left = await node.db.client.query(`SELECT count(*)::int AS n FROM epcis_subscriptions`);
      expect(left.rows[0].n).toBe(0);
    });

    /**
     * A's query `name` on a read point no event has, and a webhook subscription to it: the channel
     * never posts to its (public, unreachable) destination. Returns the subscription's id.
     */
    async function quietSubscription(name: string): Promise<string> {
      expect((await node.request('POST', '/epcis/queries', { token: a.token, body: { name, query: { EQ_readPoint: `urn:epc:id:sgln:0000000.00000.${name}` } } })).status).toBe(201);
      const created = await node.request('POST', `/epcis/queries/${name}/subscriptions`, { token: a.token, body: { dest: `https://93.184.216.34/hook/${name}`, signatureToken: 'a-good-secret-1', stream: true } });
      expect(created.status).toBe(201);
      return created.body.subscriptionID;
    }

    it('keeps a subscription whose row is locked while the replica renews its leases (the claim skips locked rows), and ends it once it is gone', async () => {
      const id = await quietSubscription('lease-check');
      const delivery = node.app.get(SubscriptionDelivery);
      const repository = node.app.get(SubscriptionsRepository);
      const loop = delivery as unknown as { channels: Map<string, { closed: boolean }>; claimWebhooks(): Promise<void> };
      const channel = await waitFor('the delivery loop to take the lease', () => loop.channels.get(`webhook:${id}`));
      // An acknowledgement of this replica holds the row while the next claim runs.
      const locker = new Client({ connectionString: node.db.url });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('SELECT 1 FROM epcis_subscriptions WHERE id = $1 FOR UPDATE', [id]);
        expect((await repository.claim(delivery.replica, 15_000, 100)).map((row) => row.id)).not.toContain(id);
        expect((await repository.heldBy(delivery.replica)).has(id)).toBe(true);
        await loop.claimWebhooks();
        expect(loop.channels.get(`webhook:${id}`)).toBe(channel);
        expect(channel.closed).toBe(false);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      expect((await node.request('DELETE', '/epcis/queries/lease-check', { token: a.token })).status).toBe(204);
      expect((await repository.heldBy(delivery.replica)).has(id)).toBe(false);
      await loop.claimWebhooks();
      expect(loop.channels.has(`webhook:${id}`)).toBe(false);
      expect(channel.closed).toBe(true);
    });
    it('shows a failing subscription as failing until a delivery succeeds: a position saved in between keeps attempts and lastError', async () => {
      const id = await quietSubscription('state-check');
      const delivery = node.app.get(SubscriptionDelivery);
      const repository = node.app.get(SubscriptionsRepository);
      await waitFor('the delivery loop to take the lease', async () => (await repository.heldBy(delivery.replica)).has(id) || undefined);
      const state = async () => (await node.request('GET', `/epcis/queries/state-check/subscriptions/${id}`, { token: a.token })).body;
      const { rows } = await node.db.client.query<{ time: string; event_id: string }>(
        `SELECT cursor_time AS time, cursor_event_id AS event_id FROM epcis_subscriptions WHERE id = $1`,
        [id],
      );
      const cursor = { time: rows[0].time, eventId: rows[0].event_id };
      try {
        await repository.failed(id, delivery.replica, 2, 60_000, 'HTTP 503');
        expect(await state()).toMatchObject({ attempts: 2, lastError: 'HTTP 503', deliveredEvents: 0 });
        // The position written before a failure is recorded, and idle progress: no delivery, the failure stays.
        await repository.acknowledgedMany(delivery.replica, [{ id, cursor, delivered: 0 }]);
        expect(await state()).toMatchObject({ attempts: 2, lastError: 'HTTP 503', deliveredEvents: 0 });
        // A delivery the receiver acknowledged clears it.
        await repository.acknowledgedMany(delivery.replica, [{ id, cursor, delivered: 3 }]);
        expect(await state()).toMatchObject({ attempts: 0, lastError: null, deliveredEvents: 3 });
      } finally {
        expect((await node.request('DELETE', '/epcis/queries/state-check', { token: a.token })).status).toBe(204);
      }
    });
  });

  describe('WebSocket upgrade refusals', () => {
    function upgrade(path: string, token?: string): Promise<{ status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${node.baseUrl.replace('http', 'ws')}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        ws.on('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        ws.on('open', () => {
          ws.close();
          reject(new Error(`upgrade of ${path} was accepted`));
        });
        ws.on('error', () => undefined);
      });
    }

    it('refuses anonymous callers, other tenants, unknown queries, schedules and a missing stream=true', async () => {
      expect((await upgrade('/epcis/queries/shipments/events?stream=true')).status).toBe(401);
      expect((await upgrade('/epcis/queries/a-only/events?stream=true', b.token)).status).toBe(404);
      expect((await upgrade('/epcis/queries/nothing-here/events?stream=true', a.token)).status).toBe(404);
      const scheduled = await upgrade('/epcis/queries/shipments/events?hour=1&minute=5', a.token);
      expect(scheduled.status).toBe(400);
      expect(JSON.parse(scheduled.body)).toMatchObject({ type: 'epcisException:QueryParameterException', status: 400 });
      expect((await upgrade('/epcis/queries/shipments/events', a.token)).status).toBe(400);
      expect((await upgrade('/epcis/queries/shipments/events?stream=true&initialRecordTime=soon', a.token)).status).toBe(400);
      expect((await upgrade('/epcis/other', a.token)).status).toBe(404);
    });

    it('streams new matching events to a real WebSocket client, and closes it when the query is deleted', async () => {
      expect((await node.request('POST', '/epcis/queries', { token: a.token, body: { name: 'live', query: { EQ_bizStep: 'shipping' } } })).status).toBe(201);
      const ws = new WebSocket(`${node.baseUrl.replace('http', 'ws')}/epcis/queries/live/events?stream=true`, { headers: { authorization: `Bearer ${a.token}` } });
      const received: Array<Record<string, any>> = [];
      let closed: number | undefined;
      ws.on('message', (data) => received.push(JSON.parse(data.toString())));
      ws.on('close', (code) => (closed = code));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const stored = await seedEvents(node, A, [
        objectEvent({ time: at(10), epcs: [SGTIN('w1')], bizStep: 'shipping' }),
        objectEvent({ time: at(11), epcs: [SGTIN('w2')], bizStep: 'receiving' }),
      ]);
      // B's shipping event matches the filter but is not A's to read.
      await seedEvents(node, B, [objectEvent({ time: at(12), epcs: [SGTIN('w3')], bizStep: 'shipping' })]);
      const later = await seedEvents(node, A, [objectEvent({ time: at(13), epcs: [SGTIN('w4')], bizStep: 'shipping' })]);
      const delivered = () => received.flatMap((doc) => doc.epcisBody.queryResults.resultsBody.eventList.map((e: { eventID: string }) => e.eventID as string));
      await waitFor('the later shipping event of A over the WebSocket', () => delivered().includes(later[0].eventId), { timeoutMs: 20_000 });
      // In record-time order, once each; B's event (recorded in between) and A's receiving event are not delivered.
      expect(delivered()).toEqual([stored[0].eventId, later[0].eventId]);
      expect(received[0]).toMatchObject({ type: 'EPCISQueryDocument', epcisBody: { queryResults: { queryName: 'live' } } });
      expect((await node.request('DELETE', '/epcis/queries/live', { token: a.token })).status).toBe(204);
      await waitFor('the stream closed with 4404', () => closed === 4404, { timeoutMs: 10_000 });
    });
  });

  it('evaluates every supported parameter on read events exactly as the SQL query does', async () => {
    const feed = node.app.get(EventFeed);
    await feed.advance();
    const all = await feed.scan({ time: '1970-01-01T00:00:00.000000Z', eventId: '' });
    expect(all.events.length).toBeGreaterThanOrEqual(5);
    const queries: Array<Record<string, string | string[]>> = [
      {},
      { eventType: ['ObjectEvent'] },
      { EQ_bizStep: ['urn:epcglobal:cbv:bizstep:shipping'] },
      { EQ_disposition: 'in_transit' },
      { EQ_readPoint: DOCK },
      { EQ_bizLocation: STORE },
      { MATCH_anyEPC: SGTIN('1') },
      { MATCH_epc: 'urn:epc:idpat:sgtin:0614141.107346.*' },
      { MATCH_parentID: 'urn:epc:id:sscc:0614141.1234567890' },
      { MATCH_inputEPC: SGTIN('5') },
      { MATCH_outputEPC: SGTIN('9') },
      { GE_eventTime: at(1), LT_eventTime: at(3) },
      { EXISTS_bizLocation: '' },
      { EXISTS_childEPCs: '' },
      { EQ_eventID: all.events[0].eventId },
    ];
    for (const parameters of queries) {
      const filter = parseDefinition(parameters).filter;
      const search = new URLSearchParams({ perPage: '1000' });
      for (const [key, value] of Object.entries(parameters)) search.append(key, Array.isArray(value) ? value.join('|') : value);
      const bySql = eventIds(await node.request('GET', `/epcis/events?${search.toString()}`, { token: a.token })).sort();
      const inMemory = all.events.filter((event) => eventMatches(filter, [A], event)).map((event) => event.eventId).sort();
      expect({ parameters, ids: inMemory }).toEqual({ parameters, ids: bySql });
    }
  });
});
