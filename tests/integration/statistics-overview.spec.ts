import { OverviewService } from '../../apps/secondary-node/src/statistics/overview.service';
import { DAY_MS, StatsCalendar } from '../../apps/secondary-node/src/statistics/stats-calendar';
import { UsageCountRepository } from '../../apps/secondary-node/src/statistics/usage-count.repository';
import { UsageCounter } from '../../apps/secondary-node/src/statistics/usage-counter';
import type { TestDatabase } from '../support/test-database';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

type Seed = [prefixKey: string, minute: string, kind: 'resolution' | 'registration' | 'door', outcome: string, count: number];

const MINUTE_MS = 60_000;
const beijing = new StatsCalendar('Asia/Shanghai');
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Waits (at most `afterMs` plus a second) until the clock is at least `afterMs` past local midnight
 * and a minute short of the next one: rows seeded at midnight and in the current minutes must not
 * meet, and "today" must not change between seeding and asking.
 */
async function clearOfMidnight(calendar: StatsCalendar, afterMs: number): Promise<void> {
  const now = Date.now();
  const sinceMidnight = now - calendar.startOfDay(now);
  const toMidnight = calendar.startOfNextDay(now) - now;
  const waitMs = sinceMidnight < afterMs ? afterMs - sinceMidnight + 1_000 : toMidnight < MINUTE_MS ? toMidnight + afterMs + 1_000 : 0;
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/** Inserts minute rows as a flush would have written them (the roll-up triggers see them). */
async function seed(db: TestDatabase, rows: Seed[]): Promise<void> {
  const columns = [0, 1, 2, 3, 4].map((i) => rows.map((row) => row[i]));
  await db.client.query(
    `INSERT INTO usage_counts (prefix_key, minute, kind, outcome, count)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[])`,
    columns,
  );
}

/** The roll-ups recomputed from the minute rows, against what the triggers keep (zero rows left aside). */
async function rollupsAgainstMinutes(db: TestDatabase, timeZone: string) {
  const query = async (sql: string, params: unknown[] = []) =>
    (await db.client.query<{ k: string; p: string; kind: string; outcome: string; n: string }>(sql, params)).rows.map((r) => `${r.k}|${r.p}|${r.kind}|${r.outcome}|${r.n}`).sort();
  const expectedHours = await query(
    `SELECT prefix_key AS k, date_trunc('hour', minute, 'UTC')::text AS p, kind, outcome, sum(count)::text AS n FROM usage_counts GROUP BY 1, 2, 3, 4
     UNION ALL SELECT '*', date_trunc('hour', minute, 'UTC')::text, kind, outcome, sum(count)::text FROM usage_counts GROUP BY 2, 3, 4`,
  );
  const hours = await query(`SELECT prefix_key AS k, hour::text AS p, kind, outcome, count::text AS n FROM usage_counts_hourly WHERE count <> 0`);
  const expectedDays = await query(
    `SELECT prefix_key AS k, (minute AT TIME ZONE $1)::date::text AS p, kind, outcome, sum(count)::text AS n FROM usage_counts GROUP BY 1, 2, 3, 4
     UNION ALL SELECT '*', (minute AT TIME ZONE $1)::date::text, kind, outcome, sum(count)::text FROM usage_counts GROUP BY 2, 3, 4`,
    [timeZone],
  );
  const days = await query(`SELECT prefix_key AS k, day::text AS p, kind, outcome, count::text AS n FROM usage_counts_daily WHERE count <> 0`);
  return { hours, expectedHours, days, expectedDays };
}

describe('statistics: front doors, roll-ups, top prefixes', () => {
  let node: TestNode;
  let operator: string;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ STATS_FLUSH_INTERVAL_MS: '600000' });
    operator = await node.operatorToken();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    const put = await node.request('PUT', '/api/handles/88.118.8/door-1', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://acme.example.cn/1' }] });
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    await node?.stop();
  });

  const get = (path: string, token: string | undefined = operator) => node.request('GET', path, { token });

  describe('GET /api/v1/stats/doors', () => {
    it('counts each resolution under the front door it came through', async () => {
      const doorsOf = async () => (await get('/api/v1/stats/doors?prefix=88.118.8&step=1h')).body.totals;
      const resolutionsOf = async () => (await get('/api/v1/stats/resolutions?prefix=88.118.8&step=1h')).body.totals.total;
      const doorsBefore = await doorsOf();
      const resolutionsBefore = await resolutionsOf();

      const statuses = [
        (await node.request('GET', '/api/handles/88.118.8/door-1')).status,
        (await node.request('GET', '/api/handles/88.118.8/door-1')).status,
        (await node.request('GET', '/api/handles/88.118.8/no-such-door')).status,
        (await node.request('GET', '/88.118.8/door-1')).status,
        (await node.request('GET', '/88.118.8/door-1?noredirect', { headers: { accept: 'application/json' } })).status,
        (await node.request('GET', '/identityv2/data/detail?handle=88.118.8/door-1')).status,
        (await node.request('GET', '/identityv2/data/detail?handle=88.118.8/door-1')).status,
        (await node.request('GET', '/identityv2/data/detail?handle=88.118.8/door-1')).status,
        (await node.request('GET', '/api/handles/88.118.8/door-1', { headers: { 'x-idis-via': 'node-far' } })).status,
        (await node.request('GET', '/88.118.8/door-1?noredirect', { headers: { accept: 'application/json', 'x-idis-via': 'node-far' } })).status,
      ];
      expect(statuses).toEqual([200, 200, 404, 302, 200, 200, 200, 200, 200, 200]);

      const after = await doorsOf();
      const delta = Object.fromEntries(Object.keys(after).map((field) => [field, after[field] - doorsBefore[field]]));
      expect(delta).toEqual({ handleRest: 3, snms: 3, proxy: 2, crossNode: 2, handleProtocol: 0, total: 10 });
      // The same resolutions, counted by outcome.
      expect((await resolutionsOf()) - resolutionsBefore).toBe(10);
    });

    it('gives points like the other series, for an enterprise its own prefixes only', async () => {
      const own = await get('/api/v1/stats/doors?step=1m', acme.token);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ scope: 'enterprise', prefixes: ['88.118.8'], step: '1m' });
      expect(own.body.series).toHaveLength(60);
      expect(Object.keys(own.body.series[0])).toEqual(['t', 'handleRest', 'snms', 'proxy', 'crossNode', 'handleProtocol', 'total']);
      const foreign = await get('/api/v1/stats/doors?prefix=88.118.8', beta.token);
      expect(foreign.status).toBe(403);
      expect(foreign.body).toMatchObject({ code: 'PREFIX_NOT_OWNED' });
      // beta's own series holds none of acme's resolutions.
      expect((await get('/api/v1/stats/doors?step=1h', beta.token)).body.totals.total).toBe(0);
    });
  });

  describe('roll-ups', () => {
    it('equal the sums of the minute rows after inserts, additive flushes into an existing minute, and deletes', async () => {
      const repository = node.app.get(UsageCountRepository);
      const minute = Math.floor(Date.parse('2025-06-30T15:59:00Z') / MINUTE_MS); // 23:59 in Beijing
      const rows = (count: number) => ({ prefixKeys: ['88.118.9', '88.118.9', '-'], minutes: [minute, minute + 1, minute], kinds: ['resolution' as const, 'door' as const, 'resolution' as const], outcomes: ['l1', 'snms', 'error'], counts: [count, count, 1] });
      await repository.addCounts(rows(5));
      // The same minutes again: the additive upsert updates the existing rows.
      await repository.addCounts(rows(7));
      const hour = await node.db.client.query(`SELECT count::int AS n FROM usage_counts_hourly WHERE prefix_key = '88.118.9' AND hour = '2025-06-30T15:00:00Z' AND kind = 'resolution' AND outcome = 'l1'`);
      expect(hour.rows).toEqual([{ n: 12 }]);
      // 15:59 UTC is 30 June in Beijing, 16:00 UTC is 1 July.
      const days = await node.db.client.query(`SELECT prefix_key, day::text, kind, outcome, count::int FROM usage_counts_daily WHERE day BETWEEN '2025-06-30' AND '2025-07-01' ORDER BY 1, 2, 3, 4`);
      expect(days.rows).toEqual([
        { prefix_key: '*', day: '2025-06-30', kind: 'resolution', outcome: 'error', count: 2 },
        { prefix_key: '*', day: '2025-06-30', kind: 'resolution', outcome: 'l1', count: 12 },
        { prefix_key: '*', day: '2025-07-01', kind: 'door', outcome: 'snms', count: 12 },
        { prefix_key: '-', day: '2025-06-30', kind: 'resolution', outcome: 'error', count: 2 },
        { prefix_key: '88.118.9', day: '2025-06-30', kind: 'resolution', outcome: 'l1', count: 12 },
        { prefix_key: '88.118.9', day: '2025-07-01', kind: 'door', outcome: 'snms', count: 12 },
      ]);
      // What the counter flushes goes the same way.
      const counter = node.app.get(UsageCounter);
      counter.recordResolution('88.118.9', 'db', 'proxy');
      counter.recordRegistrations('88.118.9', 3, 'create');
      await counter.flush();
      counter.recordResolution('88.118.9', 'db', 'proxy');
      await counter.flush();
      await node.db.client.query(`DELETE FROM usage_counts WHERE prefix_key = '-' AND minute = to_timestamp($1 * 60)`, [minute]);
      await node.db.client.query(`UPDATE usage_counts SET count = count + 4 WHERE prefix_key = '88.118.9' AND kind = 'door'`);

      const { hours, expectedHours, days: allDays, expectedDays } = await rollupsAgainstMinutes(node.db, 'Asia/Shanghai');
      expect(hours.length).toBeGreaterThan(6);
      expect(hours).toEqual(expectedHours);
      expect(allDays).toEqual(expectedDays);
    });

    it('serve 1h and 1d series with the same figures the minute rows give', async () => {
      await seed(node.db, [
        ['88.118.9', '2025-05-01T16:30:00Z', 'resolution', 'l2', 3], // 2 May in Beijing
        ['88.118.9', '2025-05-02T15:59:00Z', 'resolution', 'l2', 4], // 2 May, 23:59
        ['88.118.9', '2025-05-02T16:00:00Z', 'resolution', 'l2', 5], // 3 May
        ['88.118.9', '2025-05-03T10:07:00Z', 'resolution', 'db', 6],
      ]);
      const from = encodeURIComponent('2025-05-02T00:00:00+08:00');
      const to = encodeURIComponent('2025-05-03T18:10:00+08:00');
      const daily = await get(`/api/v1/stats/resolutions?prefix=88.118.9&step=1d&from=${from}&to=${to}`);
      expect(daily.body.series.map((p: { t: string; total: number }) => [p.t, p.total])).toEqual([
        ['2025-05-01T16:00:00.000Z', 7],
        ['2025-05-02T16:00:00.000Z', 11],
      ]);
      // The node-wide view reads the '*' rows: the same here, as nothing else was counted then.
      expect((await get(`/api/v1/stats/resolutions?step=1d&from=${from}&to=${to}`)).body.series.map((p: { total: number }) => p.total)).toEqual([7, 11]);
      const hourly = await get('/api/v1/stats/resolutions?prefix=88.118.9&step=1h&from=2025-05-02T15:00:00Z&to=2025-05-02T17:00:00Z');
      expect(hourly.body.series.map((p: { total: number }) => p.total)).toEqual([4, 5]);
      // A start off the hour reads minutes: the first point holds 15:30–16:30.
      const offHour = await get('/api/v1/stats/resolutions?prefix=88.118.9&step=1h&from=2025-05-02T15:30:00Z&to=2025-05-02T17:30:00Z');
      expect(offHour.body.series.map((p: { total: number }) => p.total)).toEqual([9, 0]);
    });
  });

  describe('GET /api/v1/stats/top-prefixes', () => {
    beforeAll(async () => {
      await seed(node.db, [
        ['88.118.8', '2025-10-31T17:00:00Z', 'resolution', 'l1', 30], // 1 November in Beijing, October in UTC
        ['88.118.8', '2025-11-10T02:00:00Z', 'resolution', 'l1', 40],
        ['88.118.8', '2025-11-10T02:00:00Z', 'resolution', 'not_found', 10],
        ['88.118.9', '2025-11-12T02:00:00Z', 'resolution', 'db', 70],
        ['88.118.9', '2025-11-30T16:30:00Z', 'resolution', 'db', 100], // 1 December in Beijing
        ['-', '2025-11-12T02:00:00Z', 'resolution', 'not_found', 1000], // not a prefix of this node
      ]);
    });

    it('ranks this node’s enterprise prefixes by resolutions in a month of STATS_TIME_ZONE, with the enterprise', async () => {
      const reply = await get('/api/v1/stats/top-prefixes?month=2025-11');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        month: '2025-11',
        timeZone: 'Asia/Shanghai',
        from: '2025-10-31T16:00:00.000Z',
        to: '2025-11-30T16:00:00.000Z',
        limit: 10,
        items: [
          { rank: 1, prefix: '88.118.8', enterpriseId: acme.enterpriseId, enterpriseName: 'Org of acme', resolutions: 80, found: 70, notFound: 10 },
          { rank: 2, prefix: '88.118.9', enterpriseId: beta.enterpriseId, enterpriseName: 'Org of beta', resolutions: 70, found: 70, notFound: 0 },
        ],
      });
      const first = await get('/api/v1/stats/top-prefixes?month=2025-11&limit=1');
      expect(first.body.items.map((i: { prefix: string }) => i.prefix)).toEqual(['88.118.8']);
      const december = await get('/api/v1/stats/top-prefixes?month=2025-12');
      expect(december.body.items).toEqual([expect.objectContaining({ prefix: '88.118.9', resolutions: 100 })]);
    });

    it('follows another STATS_TIME_ZONE once the roll-ups are rebuilt for it (UTC: the boundary rows change months)', async () => {
      const repository = node.app.get(UsageCountRepository);
      try {
        expect(await repository.ensureRollupTimeZone('UTC')).toBe(true);
        expect(await repository.ensureRollupTimeZone('UTC')).toBe(false);
        const utc = await repository.topPrefixes('2025-11-01', '2025-12-01', 10);
        expect(utc.map((r) => [r.prefix, r.resolutions])).toEqual([
          ['88.118.9', 170],
          ['88.118.8', 50],
        ]);
        const { days, expectedDays } = await rollupsAgainstMinutes(node.db, 'UTC');
        expect(days).toEqual(expectedDays);
      } finally {
        await repository.ensureRollupTimeZone('Asia/Shanghai');
      }
      expect((await repository.topPrefixes('2025-11-01', '2025-12-01', 10)).map((r) => r.resolutions)).toEqual([80, 70]);
    });
  });

  describe('who may ask, and bad parameters', () => {
    it('keeps the overview and the ranking to operators (403 for an enterprise, 401 without a token)', async () => {
      for (const path of ['/api/v1/stats/overview', '/api/v1/stats/top-prefixes']) {
        const enterprise = await get(path, acme.token);
        expect(enterprise.status).toBe(403);
        expect(enterprise.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect((await get(path, '')).status).toBe(401);
      }
    });

    it('documents the endpoints in OpenAPI with their parameters and refusals', async () => {
      const doc = (await node.request('GET', '/docs/openapi.json')).body;
      const parameters = (path: string) => ((doc.paths[path].get.parameters ?? []) as Array<{ name: string; in: string }>).map((p) => `${p.in}:${p.name}`).sort();
      expect(parameters('/api/v1/stats/doors')).toEqual(['query:from', 'query:prefix', 'query:step', 'query:to']);
      expect(parameters('/api/v1/stats/top-prefixes')).toEqual(['query:limit', 'query:month']);
      expect(parameters('/api/v1/stats/overview')).toEqual([]);
      for (const path of ['/api/v1/stats/overview', '/api/v1/stats/top-prefixes', '/api/v1/stats/doors']) {
        expect(Object.keys(doc.paths[path].get.responses)).toEqual(expect.arrayContaining(['400', '403']));
        expect(doc.paths[path].get.description ?? '').toMatch(/JSON/);
      }
    });

    it.each([
      ['overview?from=2025-11-01', 'from', /unknown parameter/],
      ['top-prefixes?monht=2025-11', 'monht', /unknown parameter/],
      ['top-prefixes?month=2025-13', 'month', /YYYY-MM/],
      ['top-prefixes?month=2099-01', 'month', /in the future/],
      ['top-prefixes?limit=0', 'limit', /1 to 100/],
      ['top-prefixes?limit=101', 'limit', /1 to 100/],
      ['top-prefixes?limit=1&limit=2', 'limit', /only once/],
      ['doors?step=5m', 'step', /must be one of 1m, 1h, 1d/],
      ['doors?stpe=1h', 'stpe', /unknown parameter/],
    ])('refuses /api/v1/stats/%s with 400 naming %s', async (query, path, message) => {
      const reply = await get(`/api/v1/stats/${query}`);
      expect(reply.status).toBe(400);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(reply.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    });
  });
});

describe('GET /api/v1/stats/overview', () => {
  let node: TestNode;
  let operator: string;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ STATS_FLUSH_INTERVAL_MS: '600000', STATS_ENTERPRISE_TARGET: '5' });
    operator = await node.operatorToken();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    await node.approvedEnterprise('88.118.9', 'beta');
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('gives today, cumulative, 30-day average, live rate, shares, p99 and enterprises from known counts', async () => {
    await clearOfMidnight(beijing, 3 * MINUTE_MS);
    const now = Date.now();
    const todayStart = beijing.startOfDay(now);
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const seeded: Seed[] = [
      ['88.118.8', iso(todayStart), 'resolution', 'l1', 10],
      ['88.118.8', iso(todayStart), 'resolution', 'l2', 5],
      ['88.118.9', iso(todayStart), 'resolution', 'db', 4],
      ['-', iso(todayStart), 'resolution', 'error', 1],
      ['88.118.8', iso(todayStart), 'registration', 'create', 7],
      ['88.118.8', iso(todayStart), 'registration', 'update', 2],
      ['88.118.8', iso(todayStart - MINUTE_MS), 'resolution', 'l1', 60], // the last minute of yesterday
      ['88.118.9', iso(todayStart - 20 * DAY_MS), 'resolution', 'db', 30],
      ['88.118.9', iso(todayStart - 40 * DAY_MS), 'resolution', 'l1', 1000], // before the 30 days
      ['88.118.9', iso(todayStart - 40 * DAY_MS), 'registration', 'create', 100],
    ];
    // The live rate: the same count in this minute and the one before, so the answer is the same
    // whichever of them is "the last whole minute" when the request arrives.
    for (const at of [minute - MINUTE_MS, minute]) seeded.push(['88.118.8', iso(at), 'resolution', 'l1', 120]);
    await seed(node.db, seeded);
    const liveToday = seeded.filter(([, at, kind]) => kind === 'resolution' && Date.parse(at) >= todayStart && Date.parse(at) !== todayStart).reduce((sum, row) => sum + row[4], 0);

    // Known resolutions and a registration through the front doors.
    expect((await node.request('PUT', '/api/handles/88.118.8/known', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://acme.example.cn/k' }] })).status).toBe(200);
    expect((await node.request('GET', '/api/handles/88.118.8/known')).status).toBe(200);
    expect((await node.request('GET', '/api/handles/88.118.8/known')).status).toBe(200);
    expect((await node.request('GET', '/api/handles/88.118.8/unknown')).status).toBe(404);

    const reply = await node.request('GET', '/api/v1/stats/overview', { token: operator });
    expect(reply.status).toBe(200);
    const overview = reply.body;
    expect(overview.timeZone).toBe('Asia/Shanghai');
    expect(overview.today).toEqual({ date: beijing.dateOf(now), from: iso(todayStart), to: iso(todayStart + DAY_MS) });
    // Seeded today: 20 at midnight + the live minutes that fall today; through the doors: 3.
    const today = 20 + liveToday + 3;
    expect(overview.resolutions).toEqual({
      today,
      cumulative: today + 60 + 30 + 1000,
      averageDailyLast30Days: (60 + 30) / 30,
      perSecond: 120 / 60,
      liveWindow: { from: expect.any(String), to: expect.any(String) },
    });
    expect(Date.parse(overview.resolutions.liveWindow.to) - Date.parse(overview.resolutions.liveWindow.from)).toBe(MINUTE_MS);
    expect(overview.registrations).toEqual({ today: 7 + 1, cumulative: 7 + 1 + 100 });
    const { l1, l2, db, notFound, error, total } = overview.outcomesToday;
    expect(total).toBe(today);
    expect([notFound, error, l2]).toEqual([1, 1, 5]);
    // The two found resolutions were answered by the database, then by L1.
    expect(l1 + db).toBe(10 + liveToday + 4 + 2);
    expect(overview.outcomeSharesToday.notFound).toBeCloseTo(1 / today, 12);
    expect(overview.outcomeSharesToday.l1 + overview.outcomeSharesToday.l2 + overview.outcomeSharesToday.db + overview.outcomeSharesToday.notFound + overview.outcomeSharesToday.error).toBeCloseTo(1, 12);
    expect(overview.cacheHitRatioToday).toBeCloseTo((l1 + l2) / (l1 + l2 + db), 12);
    expect(overview.latency.observations).toBe(3);
    expect(overview.latency.p99Seconds).toBeGreaterThan(0);
    expect(overview.enterprises).toEqual({ connected: 2, target: 5 });
    expect(overview.countingSince).toBe(beijing.dateOf(todayStart - 40 * DAY_MS));
  }, 300_000);

  it('counts "today" from midnight of STATS_TIME_ZONE, not UTC', async () => {
    await seed(node.db, [
      ['88.118.9', '2024-03-09T15:59:00Z', 'resolution', 'db', 11], // 23:59 on 9 March in Beijing
      ['88.118.9', '2024-03-09T16:00:00Z', 'resolution', 'db', 13], // 00:00 on 10 March in Beijing
      ['88.118.9', '2024-03-10T15:00:00Z', 'registration', 'create', 17], // 23:00 on 10 March
    ]);
    const overview = await node.app.get(OverviewService).overview(Date.parse('2024-03-09T16:30:00Z'));
    expect(overview.today).toEqual({ date: '2024-03-10', from: '2024-03-09T16:00:00.000Z', to: '2024-03-10T16:00:00.000Z' });
    expect(overview.resolutions.today).toBe(13);
    expect(overview.registrations.today).toBe(17);
    expect(overview.resolutions.liveWindow).toEqual({ from: '2024-03-09T16:29:00.000Z', to: '2024-03-09T16:30:00.000Z' });
  });
});
