import { UsageCounter } from '../../apps/secondary-node/src/statistics/usage-counter';
import { applicationBody, type EnterpriseFixture, TestNode } from '../support/test-node';

type Seed = [prefixKey: string, minute: string, kind: 'resolution' | 'registration', outcome: string, count: number];

/** Counts as replicas would have flushed them (2025-11-01 UTC unless said otherwise). */
const SEED: Seed[] = [
  ['88.118.8', '2025-10-31T20:00:00Z', 'resolution', 'l1', 30], // 04:00 on 1 November in Beijing
  ['88.118.8', '2025-11-01T10:00:00Z', 'resolution', 'l1', 5],
  ['88.118.8', '2025-11-01T10:00:00Z', 'resolution', 'l2', 1],
  ['88.118.8', '2025-11-01T10:00:00Z', 'resolution', 'db', 2],
  ['88.118.8', '2025-11-01T10:01:00Z', 'resolution', 'l1', 3],
  ['88.118.8', '2025-11-01T10:01:00Z', 'resolution', 'not_found', 1],
  ['88.118.8', '2025-11-01T10:03:00Z', 'resolution', 'error', 1],
  ['88.118.8', '2025-11-01T10:59:00Z', 'resolution', 'l1', 10],
  ['88.118.8', '2025-11-01T11:00:00Z', 'resolution', 'db', 4],
  ['88.118.8', '2025-11-02T03:00:00Z', 'resolution', 'l1', 20], // 11:00 on 2 November in Beijing
  ['88.118.9', '2025-11-01T10:00:00Z', 'resolution', 'l1', 100],
  ['88.118.9', '2025-11-01T11:30:00Z', 'resolution', 'l2', 50],
  ['-', '2025-11-01T10:02:00Z', 'resolution', 'not_found', 7],
  ['88.118.8', '2025-11-01T10:00:00Z', 'registration', 'create', 2000],
  ['88.118.8', '2025-11-01T10:01:00Z', 'registration', 'create', 500],
  ['88.118.8', '2025-11-01T10:01:00Z', 'registration', 'update', 3],
  ['88.118.8', '2025-11-01T12:00:00Z', 'registration', 'delete', 1],
  ['88.118.9', '2025-11-01T10:00:00Z', 'registration', 'create', 10],
];

const zeroResolutions = { l1: 0, l2: 0, db: 0, notFound: 0, error: 0, total: 0 };
const zeroRegistrations = { create: 0, update: 0, delete: 0, total: 0 };

describe('statistics API', () => {
  let node: TestNode;
  let operator: string;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;

  beforeAll(async () => {
    // Only the flush before each answer writes counts here, never the periodic one.
    node = await TestNode.start({ STATS_FLUSH_INTERVAL_MS: '600000' });
    operator = await node.operatorToken();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    // Applied for, not approved: known to the node, counted under '-'.
    const pending = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.7', 'gamma') });
    expect(pending.status).toBe(201);
    const columns = SEED[0].map((_, i) => SEED.map((row) => row[i]));
    await node.db.client.query(
      `INSERT INTO usage_counts (prefix_key, minute, kind, outcome, count)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[])`,
      columns,
    );
  });

  afterAll(async () => {
    await node?.stop();
  });

  const get = (path: string, token: string | undefined = operator) => node.request('GET', path, { token });

  describe('GET /api/v1/stats/resolutions', () => {
    it('gives one point per minute for a prefix, with totals and the cache hit ratio', async () => {
      const reply = await get('/api/v1/stats/resolutions?prefix=88.118.8&step=1m&from=2025-11-01T10:00:00Z&to=2025-11-01T10:05:00Z');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        from: '2025-11-01T10:00:00.000Z',
        to: '2025-11-01T10:05:00.000Z',
        step: '1m',
        prefix: '88.118.8',
        scope: 'prefix',
        series: [
          { t: '2025-11-01T10:00:00.000Z', l1: 5, l2: 1, db: 2, notFound: 0, error: 0, total: 8 },
          { t: '2025-11-01T10:01:00.000Z', l1: 3, l2: 0, db: 0, notFound: 1, error: 0, total: 4 },
          { t: '2025-11-01T10:02:00.000Z', ...zeroResolutions },
          { t: '2025-11-01T10:03:00.000Z', l1: 0, l2: 0, db: 0, notFound: 0, error: 1, total: 1 },
          { t: '2025-11-01T10:04:00.000Z', ...zeroResolutions },
        ],
        totals: { l1: 8, l2: 1, db: 2, notFound: 1, error: 1, total: 13 },
        cacheHitRatio: 9 / 11,
      });
    });

    it('sums hours over every prefix, including the "-" bucket, for the node-wide view', async () => {
      const reply = await get('/api/v1/stats/resolutions?step=1h&from=2025-11-01T10:00:00Z&to=2025-11-01T12:00:00Z');
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ prefix: null, scope: 'node', step: '1h' });
      expect(reply.body.series).toEqual([
        { t: '2025-11-01T10:00:00.000Z', l1: 118, l2: 1, db: 2, notFound: 8, error: 1, total: 130 },
        { t: '2025-11-01T11:00:00.000Z', l1: 0, l2: 50, db: 4, notFound: 0, error: 0, total: 54 },
      ]);
      expect(reply.body.totals.total).toBe(184);
      expect(reply.body.cacheHitRatio).toBeCloseTo(169 / 175, 12);
    });

    it('lets operators see the "-" bucket alone', async () => {
      const reply = await get('/api/v1/stats/resolutions?prefix=-&step=1h&from=2025-11-01T10:00:00Z&to=2025-11-01T11:00:00Z');
      expect(reply.status).toBe(200);
      expect(reply.body.series).toEqual([{ t: '2025-11-01T10:00:00.000Z', ...zeroResolutions, notFound: 7, total: 7 }]);
      expect(reply.body.cacheHitRatio).toBeNull();
    });

    it('gives days that start at `from`, so the caller chooses the time zone of its days', async () => {
      const beijing = await get(`/api/v1/stats/resolutions?prefix=88.118.8&step=1d&from=${encodeURIComponent('2025-11-01T00:00:00+08:00')}&to=${encodeURIComponent('2025-11-03T00:00:00+08:00')}`);
      expect(beijing.status).toBe(200);
      expect(beijing.body.series).toEqual([
        { t: '2025-10-31T16:00:00.000Z', l1: 48, l2: 1, db: 6, notFound: 1, error: 1, total: 57 },
        { t: '2025-11-01T16:00:00.000Z', ...zeroResolutions, l1: 20, total: 20 },
      ]);
      const utc = await get('/api/v1/stats/resolutions?prefix=88.118.8&step=1d&from=2025-10-31&to=2025-11-03');
      expect(utc.body.series.map((p: { t: string; total: number }) => [p.t, p.total])).toEqual([
        ['2025-10-31T00:00:00.000Z', 30],
        ['2025-11-01T00:00:00.000Z', 27],
        ['2025-11-02T00:00:00.000Z', 20],
      ]);
      // An unencoded "+" arrives as a space and still means +08:00.
      const unencoded = await get('/api/v1/stats/resolutions?prefix=88.118.8&step=1d&from=2025-11-01T00:00:00+08:00&to=2025-11-03T00:00:00+08:00');
      expect(unencoded.body.series).toEqual(beijing.body.series);
    });

    it('matches the prefix case-insensitively and echoes it as given', async () => {
      await node.approvedEnterprise('88.118.XyZ', 'xyz');
      await node.db.client.query(`INSERT INTO usage_counts VALUES ('88.118.xyz', '2025-11-05T00:00:00Z', 'resolution', 'l1', 1)`);
      const reply = await get('/api/v1/stats/resolutions?prefix=88.118.XYZ&step=1d&from=2025-11-05&to=2025-11-06');
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ prefix: '88.118.XYZ', totals: { l1: 1, total: 1 } });
    });

    it('shows a prefix that is known but not approved as zeros, and refuses one this node does not know', async () => {
      const pending = await get('/api/v1/stats/resolutions?prefix=88.118.7&step=1h&from=2025-11-01T10:00:00Z&to=2025-11-01T11:00:00Z');
      expect(pending.status).toBe(200);
      expect(pending.body.totals).toEqual(zeroResolutions);
      const unknown = await get('/api/v1/stats/resolutions?prefix=88.118.77');
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(unknown.body).toMatchObject({ code: 'PREFIX_NOT_FOUND', detail: 'prefix 88.118.77 is not served by this node' });
    });
  });

  describe('GET /api/v1/stats/registrations', () => {
    it('gives created, updated and deleted identifiers per point', async () => {
      const reply = await get('/api/v1/stats/registrations?step=1h&from=2025-11-01T10:00:00Z&to=2025-11-01T13:00:00Z');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        from: '2025-11-01T10:00:00.000Z',
        to: '2025-11-01T13:00:00.000Z',
        step: '1h',
        prefix: null,
        scope: 'node',
        series: [
          { t: '2025-11-01T10:00:00.000Z', create: 2510, update: 3, delete: 0, total: 2513 },
          { t: '2025-11-01T11:00:00.000Z', ...zeroRegistrations },
          { t: '2025-11-01T12:00:00.000Z', ...zeroRegistrations, delete: 1, total: 1 },
        ],
        totals: { create: 2510, update: 3, delete: 1, total: 2514 },
      });
    });

    it('gives minutes for one prefix', async () => {
      const reply = await get('/api/v1/stats/registrations?prefix=88.118.8&from=2025-11-01T10:00:00Z&to=2025-11-01T10:02:00Z');
      expect(reply.body.series).toEqual([
        { t: '2025-11-01T10:00:00.000Z', create: 2000, update: 0, delete: 0, total: 2000 },
        { t: '2025-11-01T10:01:00.000Z', create: 500, update: 3, delete: 0, total: 503 },
      ]);
    });
  });

  describe('who may ask', () => {
    it('needs a bearer token (401), and refuses an invalid one', async () => {
      for (const path of ['/api/v1/stats/resolutions', '/api/v1/stats/registrations']) {
        const anonymous = await get(path, '');
        expect(anonymous.status).toBe(401);
        expect(anonymous.body).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
        const forged = await get(path, 'not-a-token');
        expect(forged.status).toBe(401);
      }
    });

    it('shows an enterprise its own prefixes: all of them summed, or one by name', async () => {
      const all = await get('/api/v1/stats/resolutions?step=1h&from=2025-11-01T10:00:00Z&to=2025-11-01T12:00:00Z', acme.token);
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ prefix: null, scope: 'enterprise', prefixes: ['88.118.8'] });
      expect(all.body.series).toEqual([
        { t: '2025-11-01T10:00:00.000Z', l1: 18, l2: 1, db: 2, notFound: 1, error: 1, total: 23 },
        { t: '2025-11-01T11:00:00.000Z', ...zeroResolutions, db: 4, total: 4 },
      ]);
      const own = await get('/api/v1/stats/registrations?prefix=88.118.9&step=1h&from=2025-11-01T10:00:00Z&to=2025-11-01T11:00:00Z', beta.token);
      expect(own.status).toBe(200);
      expect(own.body.totals).toEqual({ create: 10, update: 0, delete: 0, total: 10 });
    });

    it('refuses an enterprise another enterprise’s prefix, an unknown one and the "-" bucket (403)', async () => {
      for (const prefix of ['88.118.8', '88.118.77', '-']) {
        const reply = await get(`/api/v1/stats/resolutions?prefix=${prefix}`, beta.token);
        expect(reply.status).toBe(403);
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(reply.body).toMatchObject({ code: 'PREFIX_NOT_OWNED', errors: [{ path: 'prefix', message: 'not one of your prefixes' }] });
      }
      const registrations = await get('/api/v1/stats/registrations?prefix=88.118.9', acme.token);
      expect(registrations.status).toBe(403);
    });
  });

  describe('bad parameters', () => {
    it.each([
      ['step=5m', 'step', /must be one of 1m, 1h, 1d/],
      ['step=1m&step=1h', 'step', /only once/],
      ['from=yesterday', 'from', /ISO 8601/],
      ['from=2025-11-01T10:00:00', 'from', /ISO 8601/],
      ['from=2025-02-29', 'from', /has no day 29/],
      ['to=2025-11-01T25:00:00Z', 'to', /ISO 8601|invalid time of day/],
      ['from=2025-11-02&to=2025-11-01', 'from', /must be before to/],
      ['from=2025-11-01&to=2025-11-03&step=1m', 'from', /2880 points of 1m; at most 1500 \(25 hours\)/],
      ['from=2025-01-01&to=2025-12-31&step=1h', 'from', /at most 1500 \(62.5 days\)/],
      ['prefix=88.118.8%2Fx', 'prefix', /not allowed/],
      [`prefix=88.${'9'.repeat(70)}`, 'prefix', /limit is 64/],
      ['stpe=1h', 'stpe', /unknown parameter/],
    ])('refuses ?%s with 400 problem+json naming %s', async (query, path, message) => {
      for (const kind of ['resolutions', 'registrations']) {
        const reply = await get(`/api/v1/stats/${kind}?${query}`);
        expect(reply.status).toBe(400);
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(reply.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: `/api/v1/stats/${kind}` });
        expect(reply.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
      }
    });

    it('reports every bad parameter of a request at once', async () => {
      const reply = await get('/api/v1/stats/resolutions?step=weekly&from=soon&prefix=88%20118');
      expect(reply.status).toBe(400);
      expect(reply.body.errors.map((e: { path: string }) => e.path)).toEqual(['step', 'from', 'prefix']);
    });
  });

  describe('live counts', () => {
    it('includes what this replica counted a moment ago (it flushes before answering)', async () => {
      const counter = node.app.get(UsageCounter);
      const before = await get('/api/v1/stats/resolutions?prefix=88.118.8');
      // The prefixes were approved after the node started: until it is told (or its periodic
      // refresh runs), they are counted under '-'.
      await counter.refreshPrefixes();
      for (let i = 0; i < 3; i += 1) counter.recordResolution('88.118.8', 'l1');
      counter.recordResolution('88.118.8', 'db');
      counter.recordRegistrations('88.118.8', 2000, 'create');

      const after = await get('/api/v1/stats/resolutions?prefix=88.118.8');
      expect(after.status).toBe(200);
      expect(after.body.series).toHaveLength(60);
      expect(after.body.totals.l1 - before.body.totals.l1).toBe(3);
      expect(after.body.totals.db - before.body.totals.db).toBe(1);
      const registrations = await get('/api/v1/stats/registrations?prefix=88.118.8', acme.token);
      expect(registrations.body.totals.create).toBe(2000);
      expect(counter.health().unflushedCells).toBe(0);
    });
  });
});

describe('statistics at shutdown', () => {
  it('writes what was counted but not yet flushed when the node stops', async () => {
    const node = await TestNode.start({ STATS_FLUSH_INTERVAL_MS: '600000' });
    let closed = false;
    try {
      const counter = node.app.get(UsageCounter);
      counter.recordResolution('88.200.1', 'not_found');
      counter.recordRegistrations('88.118.5', 3, 'delete');
      const before = await node.db.client.query(`SELECT count(*)::int AS n FROM usage_counts`);
      expect(before.rows[0].n).toBe(0);

      await node.app.close();
      closed = true;
      const rows = await node.db.client.query<{ prefix_key: string; kind: string; outcome: string; count: string }>(
        `SELECT prefix_key, kind, outcome, count FROM usage_counts ORDER BY kind, outcome`,
      );
      expect(rows.rows.map((r) => [r.prefix_key, r.kind, r.outcome, Number(r.count)])).toEqual([
        ['-', 'registration', 'delete', 3],
        ['-', 'resolution', 'not_found', 1],
      ]);
    } finally {
      if (!closed) await node.app.close();
      await node.db.drop();
    }
  });
});
