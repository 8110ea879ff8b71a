import { parse } from 'csv-parse/sync';
import { Workbook, ValueType } from 'exceljs';
import { randomUUID } from 'node:crypto';
import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** A download as bytes: fetch's text() would silently drop the BOM this suite checks for. */
interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
}

/** A CSV download: BOM first, then records keyed by the header row. */
function csvRecords(download: Download, filename: string): Array<Record<string, string>> {
  expect(download.status).toBe(200);
  expect(download.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
  expect([...download.bytes.subarray(0, 3)]).toEqual(UTF8_BOM);
  return parse(download.bytes.subarray(3).toString('utf8'), { columns: true }) as Array<Record<string, string>>;
}

/** The current calendar month in Beijing time (STATS_TIME_ZONE's default). */
function beijingMonth(at = new Date()): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}

describe('operator console APIs: enterprises, applications export, upstream outbox, monthly report', () => {
  let node: TestNode;
  let operator: string;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let partner: string;

  const get = (path: string, token: string | undefined = operator) => node.request('GET', path, { token });

  async function download(path: string, token: string | undefined = operator): Promise<Download> {
    const response = await fetch(`${node.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  beforeAll(async () => {
    // Only the flush before each answer writes counts here, never the periodic one.
    node = await TestNode.start({ STATS_FLUSH_INTERVAL_MS: '600000' });
    operator = await node.operatorToken();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    await node.db.client.query(`UPDATE enterprises SET org_name = '黄石工具有限公司', created_at = '2025-10-20T02:00:00Z' WHERE id = $1`, [acme.enterpriseId]);
    await node.db.client.query(`UPDATE enterprises SET org_name = 'Beta Valves', created_at = '2025-11-10T02:00:00Z' WHERE id = $1`, [beta.enterpriseId]);
    const created = await node.request('POST', '/api/v1/partners', { token: operator, body: { username: 'console-partner', password: 'partner-pass-1', orgName: 'Partner Co' } });
    expect(created.status).toBe(201);
    partner = await node.token('console-partner', 'partner-pass-1');
  });

  afterAll(async () => {
    await node?.stop();
  });

  async function register(fixture: EnterpriseFixture, suffix: string, url = `https://example.cn/${suffix}`): Promise<void> {
    const reply = await node.request('PUT', `/api/handles/${fixture.prefix}/${suffix}`, { token: fixture.token, body: [{ index: 1, type: 'URL', data: url }] });
    expect([200, 201]).toContain(reply.status);
  }

  it('documents every route with its query parameters and formats in OpenAPI', async () => {
    const doc = (await node.request('GET', '/docs/openapi.json')).body;
    const parameters = (path: string) => (doc.paths[path].get.parameters as Array<{ name: string; in: string }>).map((p) => `${p.in}:${p.name}`).sort();
    expect(parameters('/api/v1/enterprises')).toEqual(['query:format', 'query:page', 'query:pageSize', 'query:q', 'query:status']);
    expect(parameters('/api/v1/enterprises/{id}')).toEqual(['path:id']);
    expect(parameters('/api/v1/enterprises/applications')).toEqual(['query:format', 'query:from', 'query:page', 'query:pageSize', 'query:q', 'query:status', 'query:to']);
    expect(parameters('/api/v1/upstream/outbox')).toEqual(['query:format', 'query:page', 'query:pageSize', 'query:state', 'query:status']);
    expect(parameters('/api/v1/ingestion/rejects')).toEqual(['query:format', 'query:from', 'query:page', 'query:pageSize', 'query:prefix', 'query:reason', 'query:to']);
    expect(parameters('/api/v1/reports/monthly')).toEqual(['query:format', 'query:month', 'query:page', 'query:pageSize']);
    expect(Object.keys(doc.paths['/api/v1/reports/monthly'].get.responses['200'].content)).toEqual(['application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
  });

  describe('GET /api/v1/enterprises', () => {
    beforeAll(async () => {
      for (const suffix of ['A1', 'A2', 'A3']) await register(acme, suffix);
      await register(beta, 'B1');
    });

    it('lists every enterprise, newest first, with its prefixes and identifier count', async () => {
      const reply = await get('/api/v1/enterprises');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        items: [
          { id: beta.enterpriseId, organisation: 'Beta Valves', creditCode: expect.stringMatching(/^[0-9A-Z]{18}$/), status: 'active', prefixes: [{ prefix: '88.118.9', status: 'active' }], identifiers: 1, createdAt: '2025-11-10T02:00:00.000Z' },
          { id: acme.enterpriseId, organisation: '黄石工具有限公司', creditCode: expect.stringMatching(/^[0-9A-Z]{18}$/), status: 'active', prefixes: [{ prefix: '88.118.8', status: 'active' }], identifiers: 3, createdAt: '2025-10-20T02:00:00.000Z' },
        ],
        total: 2,
        page: 1,
        pageSize: 20,
      });
    });

    it('filters by a substring of the name, the credit code or a prefix, and by status; pages', async () => {
      const names = async (query: string) => ((await get(`/api/v1/enterprises${query}`)).body.items as Array<{ organisation: string }>).map((e) => e.organisation);
      expect(await names(`?q=${encodeURIComponent('工具')}`)).toEqual(['黄石工具有限公司']);
      expect(await names('?q=118.9')).toEqual(['Beta Valves']);
      expect(await names('?q=valves')).toEqual(['Beta Valves']);
      const acmeCode = (await get(`/api/v1/enterprises/${acme.enterpriseId}`)).body.creditCode as string;
      expect(await names(`?q=${acmeCode}`)).toEqual(['黄石工具有限公司']);
      expect(await names('?q=%25')).toEqual([]);
      expect(await names('?status=suspended')).toEqual([]);
      expect(await names('?status=active&q=118')).toEqual(['Beta Valves', '黄石工具有限公司']);
      const second = await get('/api/v1/enterprises?page=2&pageSize=1');
      expect(second.body).toMatchObject({ total: 2, page: 2, pageSize: 1, items: [expect.objectContaining({ id: acme.enterpriseId })] });
      expect((await get('/api/v1/enterprises?page=3&pageSize=1')).body).toMatchObject({ total: 2, items: [] });
    });

    it('exports CSV with a BOM, every matching enterprise, Chinese text intact', async () => {
      const file = await download('/api/v1/enterprises?format=csv&pageSize=1');
      expect(file.headers.get('x-total-count')).toBe('2');
      const rows = csvRecords(file, 'enterprises.csv');
      expect(rows.map((r) => [r.id, r.organisation, r.status, r.prefixes, r.identifiers, r.contactEmail, r.createdAt])).toEqual([
        [beta.enterpriseId, 'Beta Valves', 'active', '88.118.9', '1', 'beta@example.cn', '2025-11-10T02:00:00.000Z'],
        [acme.enterpriseId, '黄石工具有限公司', 'active', '88.118.8', '3', 'acme@example.cn', '2025-10-20T02:00:00.000Z'],
      ]);
      expect(csvRecords(await download('/api/v1/enterprises?format=csv&q=nothing-matches'), 'enterprises.csv')).toEqual([]);
    });

    it('is for operators only', async () => {
      expectProblem(await get('/api/v1/enterprises', acme.token), 403, 'FORBIDDEN');
      expectProblem(await get('/api/v1/enterprises?format=csv', acme.token), 403, 'FORBIDDEN');
      expectProblem(await get('/api/v1/enterprises', partner), 403, 'FORBIDDEN');
      expectProblem(await node.request('GET', '/api/v1/enterprises'), 401, 'AUTHENTICATION_REQUIRED');
    });

    it.each([
      ['pageSize=0', 'pageSize'],
      ['pageSize=201', 'pageSize'],
      ['page=0', 'page'],
      ['page=1&page=2', 'page'],
      ['status=deleted', 'status'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['q=%01', 'q'],
      ['format=xml', 'format'],
      ['sort=name', 'sort'],
      ['pagesize=50', 'pagesize'],
    ])('refuses ?%s with a 400 naming %s, and changes nothing', async (query, name) => {
      const reply = await node.refused('GET', `/api/v1/enterprises?${query}`, { token: operator });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.detail).toContain(name);
    });
  });

  describe('GET /api/v1/enterprises/{id}', () => {
    it('shows the operator the contact, prefixes, identifiers and the volumes of the last 30 days', async () => {
      await register(acme, 'V1');
      await register(acme, 'V1', 'https://example.cn/v1-changed');
      for (let i = 0; i < 3; i += 1) expect((await node.request('GET', '/api/handles/88.118.8/V1')).status).toBe(200);
      expect((await node.request('GET', '/api/handles/88.118.8/NOPE-1')).status).toBe(404);
      const reply = await get(`/api/v1/enterprises/${acme.enterpriseId}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        id: acme.enterpriseId,
        organisation: '黄石工具有限公司',
        creditCode: expect.stringMatching(/^[0-9A-Z]{18}$/),
        status: 'active',
        prefixes: [{ prefix: '88.118.8', status: 'active' }],
        identifiers: 4,
        createdAt: '2025-10-20T02:00:00.000Z',
        updatedAt: expect.stringMatching(ISO_TIME),
        contact: { name: 'Zhang San', phone: '+86 27 8765 4321', email: 'acme@example.cn' },
        volumes: {
          from: expect.stringMatching(ISO_TIME),
          to: expect.stringMatching(ISO_TIME),
          resolutions30d: 4,
          // A1–A3 and V1 created, V1 updated once.
          registrations30d: 5,
          resolutions: { l1: expect.any(Number), l2: 0, db: expect.any(Number), notFound: 1, error: 0, total: 4 },
          registrations: { create: 4, update: 1, delete: 0, total: 5 },
        },
      });
      expect(reply.body.volumes.resolutions.l1 + reply.body.volumes.resolutions.db).toBe(3);
      expect(Date.parse(reply.body.volumes.to) - Date.parse(reply.body.volumes.from)).toBe(30 * 86_400_000);
      expect(Date.parse(reply.body.volumes.to)).toBeGreaterThan(Date.now());
    });

    it('shows an enterprise itself, and another enterprise exactly what an unknown id shows', async () => {
      const own = await get(`/api/v1/enterprises/${beta.enterpriseId}`, beta.token);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ id: beta.enterpriseId, identifiers: 1, volumes: { registrations: { create: 1 } } });
      const crossing = await node.refused('GET', `/api/v1/enterprises/${acme.enterpriseId}`, { token: beta.token });
      const unknownId = randomUUID();
      const unknown = await get(`/api/v1/enterprises/${unknownId}`, beta.token);
      expectProblem(crossing, 404, 'ENTERPRISE_NOT_FOUND');
      expectProblem(unknown, 404, 'ENTERPRISE_NOT_FOUND');
      expect(crossing.body.detail.replace(acme.enterpriseId, 'ID')).toBe(unknown.body.detail.replace(unknownId, 'ID'));
      expect(crossing.text).not.toContain('黄石');
      expectProblem(await get(`/api/v1/enterprises/${unknownId}`), 404, 'ENTERPRISE_NOT_FOUND');
      expectProblem(await get(`/api/v1/enterprises/${acme.enterpriseId}`, partner), 403, 'FORBIDDEN');
      expectProblem(await node.request('GET', `/api/v1/enterprises/${acme.enterpriseId}`), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses a malformed id and any query parameter with 400', async () => {
      expectProblem(await node.refused('GET', '/api/v1/enterprises/not-a-uuid', { token: operator }), 400, 'VALIDATION_FAILED');
      const reply = await node.refused('GET', `/api/v1/enterprises/${acme.enterpriseId}?days=90`, { token: operator });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.detail).toContain('days');
    });
  });

  describe('GET /api/v1/enterprises/applications: from/to and CSV', () => {
    const APPLICATIONS = '/api/v1/enterprises/applications';

    beforeAll(async () => {
      // Back-date the two applications so the range filters have something to cut.
      await node.db.client.query(`UPDATE enterprise_applications SET created_at = '2025-10-20T01:00:00Z' WHERE id = $1`, [acme.applicationId]);
      await node.db.client.query(`UPDATE enterprise_applications SET created_at = '2025-11-10T01:00:00Z' WHERE id = $1`, [beta.applicationId]);
    });

    const ids = (reply: HttpReply) => (reply.body.items as Array<{ id: string }>).map((a) => a.id);

    it('filters by the time of application: from inclusive, to exclusive', async () => {
      expect(ids(await get(`${APPLICATIONS}?from=2025-11-01&to=2025-12-01`))).toEqual([beta.applicationId]);
      expect(ids(await get(`${APPLICATIONS}?to=2025-11-10T01:00:00Z`))).toEqual([acme.applicationId]);
      expect(ids(await get(`${APPLICATIONS}?from=2025-11-10T01:00:00Z&to=2025-11-10T01:00:00.001Z`))).toEqual([beta.applicationId]);
      // A date-time in Beijing time (an unencoded "+" arrives as a space).
      expect(ids(await get(`${APPLICATIONS}?from=2025-11-10T09:00:00+08:00`))).toEqual([beta.applicationId]);
      expect(ids(await get(`${APPLICATIONS}?from=2025-10-01&to=2025-12-01`))).toEqual([beta.applicationId, acme.applicationId]);
    });

    it('exports CSV (all matching, paging ignored) and keeps an enterprise to its own', async () => {
      const rows = csvRecords(await download(`${APPLICATIONS}?format=csv&pageSize=1&to=2026-01-01`), 'applications.csv');
      expect(rows.map((r) => [r.id, r.status, r.requestedPrefix, r.orgName, r.enterpriseId, r.createdAt])).toEqual([
        [beta.applicationId, 'active', '88.118.9', 'Org of beta', beta.enterpriseId, '2025-11-10T01:00:00.000Z'],
        [acme.applicationId, 'active', '88.118.8', 'Org of acme', acme.enterpriseId, '2025-10-20T01:00:00.000Z'],
      ]);
      expect(Object.keys(rows[0])).toEqual(['id', 'status', 'orgName', 'creditCode', 'contactName', 'contactPhone', 'contactEmail', 'requestedPrefix', 'username', 'enterpriseId', 'reviewReason', 'reviewedBy', 'reviewedAt', 'createdAt', 'updatedAt']);
      expect(Object.keys(rows[0]).some((k) => /password/i.test(k))).toBe(false);
      const own = csvRecords(await download(`${APPLICATIONS}?format=csv`, beta.token), 'applications.csv');
      expect(own.map((r) => r.id)).toEqual([beta.applicationId]);
      expect(csvRecords(await download(`${APPLICATIONS}?format=csv&q=acme`, beta.token), 'applications.csv')).toEqual([]);
    });

    it.each([
      ['from=yesterday', 'from'],
      ['from=2025-13-01', 'from'],
      ['to=2025-11-01T10:00:00', 'to'],
      ['from=2025-11-02&to=2025-11-01', 'from'],
      ['from=2025-11-01&to=2025-11-01', 'from'],
      ['format=pdf', 'format'],
      ['state=active', 'state'],
    ])('refuses ?%s with a 400 naming %s', async (query, name) => {
      const reply = await node.refused('GET', `${APPLICATIONS}?${query}`, { token: operator });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.detail).toContain(name);
    });
  });

  describe('GET /api/v1/upstream/outbox', () => {
    const OUTBOX = '/api/v1/upstream/outbox';

    beforeAll(async () => {
      // Unlinked node (no TOP_LEVEL_URL): the worker is idle, so items stay as written.
      const enterprise = { orgName: '黄石工具有限公司', creditCode: '91110108000000000X', contactName: 'Z', contactPhone: '+86 1', contactEmail: 'x@example.cn' };
      const rows: Array<[string, unknown, string, string, number, string | null, string]> = [
        ['filing-create', { prefix: '88.118.8', enterprise }, 'ctx-1', 'delivered', 1, null, '2025-11-01T00:00:00.000001Z'],
        ['filing-create', { prefix: '88.118.9', enterprise }, 'ctx-2', 'failed', 3, 'PERMISSION_DENIED: =cmd|refused', '2025-11-01T00:00:00.000002Z'],
        ['filing-delete', { prefix: '88.118.7', reason: 'deactivated' }, 'ctx-3', 'pending', 2, 'UNAVAILABLE: top level down', '2025-11-01T00:00:00.000003Z'],
        ['statistics-report', { sequence: 7, periodStartMs: Date.UTC(2025, 10, 1), periodEndMs: Date.UTC(2025, 10, 1, 0, 5), volumes: [] }, 'ctx-4', 'pending', 0, null, '2025-11-01T00:00:00.000004Z'],
      ];
      for (const [kind, payload, ctx, status, attempts, lastError, createdAt] of rows) {
        await node.db.client.query(
          `INSERT INTO upstream_outbox (kind, payload, client_transaction_id, status, attempts, last_error, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '2030-01-01T00:00:00Z')`,
          [kind, JSON.stringify(payload), ctx, status, attempts, lastError, createdAt],
        );
      }
    });

    const ctxs = (reply: HttpReply) => (reply.body.items as Array<{ clientTransactionId: string }>).map((i) => i.clientTransactionId);

    it('pages every item newest first, each with its kind, target, attempts, last error and next attempt', async () => {
      const reply = await get(OUTBOX);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ total: 4, page: 1, pageSize: 50 });
      expect(ctxs(reply)).toEqual(['ctx-4', 'ctx-3', 'ctx-2', 'ctx-1']);
      expect(reply.body.items[0]).toMatchObject({ kind: 'statistics-report', target: '2025-11-01T00:00:00.000Z/2025-11-01T00:05:00.000Z', status: 'pending', attempts: 0, nextAttemptAt: '2030-01-01T00:00:00.000Z' });
      expect(reply.body.items[1]).toMatchObject({ kind: 'filing-delete', target: '88.118.7', status: 'pending', attempts: 2, lastError: 'UNAVAILABLE: top level down' });
      expect(reply.body.items[2]).toMatchObject({ kind: 'filing-create', target: '88.118.9', status: 'failed', attempts: 3, nextAttemptAt: null });
      const pages = [];
      for (let page = 1; page <= 3; page += 1) pages.push(ctxs(await get(`${OUTBOX}?page=${page}&pageSize=2`)));
      expect(pages).toEqual([['ctx-4', 'ctx-3'], ['ctx-2', 'ctx-1'], []]);
    });

    it('filters by state (or by status, its older name)', async () => {
      expect(ctxs(await get(`${OUTBOX}?state=pending`))).toEqual(['ctx-4', 'ctx-3']);
      expect((await get(`${OUTBOX}?state=pending`)).body.total).toBe(2);
      expect(ctxs(await get(`${OUTBOX}?status=failed`))).toEqual(['ctx-2']);
      expect(ctxs(await get(`${OUTBOX}?state=delivered&status=delivered`))).toEqual(['ctx-1']);
    });

    it('exports CSV of the filtered items, paging ignored', async () => {
      const all = csvRecords(await download(`${OUTBOX}?format=csv&pageSize=1`), 'upstream-outbox.csv');
      expect(all.map((r) => r.clientTransactionId)).toEqual(['ctx-4', 'ctx-3', 'ctx-2', 'ctx-1']);
      const failed = csvRecords(await download(`${OUTBOX}?format=csv&state=failed`), 'upstream-outbox.csv');
      expect(failed).toEqual([
        expect.objectContaining({ kind: 'filing-create', target: '88.118.9', status: 'failed', attempts: '3', lastError: 'PERMISSION_DENIED: =cmd|refused', nextAttemptAt: '', deliveredAt: '' }),
      ]);
      expect(Object.keys(failed[0])).toEqual(['id', 'kind', 'target', 'status', 'attempts', 'lastError', 'nextAttemptAt', 'createdAt', 'deliveredAt', 'clientTransactionId', 'requestId']);
    });

    it('is for operators only, and refuses bad parameters with 400', async () => {
      expectProblem(await get(OUTBOX, acme.token), 403, 'FORBIDDEN');
      expectProblem(await get(`${OUTBOX}?format=csv`, acme.token), 403, 'FORBIDDEN');
      for (const [query, name] of [['state=lost', 'state'], ['status=lost', 'status'], ['state=pending&status=failed', 'state'], ['pageSize=201', 'pageSize'], ['kind=filing', 'kind'], ['format=xlsx', 'format']]) {
        const reply = await node.refused('GET', `${OUTBOX}?${query}`, { token: operator });
        expectProblem(reply, 400, 'VALIDATION_FAILED');
        expect(reply.body.detail).toContain(name);
      }
    });

    it('retries a failed item from the listing (the existing route)', async () => {
      const failed = (await get(`${OUTBOX}?state=failed`)).body.items[0];
      const retried = await node.request('POST', `${OUTBOX}/${failed.id}/retry`, { token: operator });
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0, target: '88.118.9' });
      expect((await get(`${OUTBOX}?state=failed`)).body.total).toBe(0);
    });
  });

  describe('GET /api/v1/reports/monthly', () => {
    const REPORT = '/api/v1/reports/monthly';
    let gamma: EnterpriseFixture;

    type Seed = [prefixKey: string, minute: string, kind: 'resolution' | 'registration', outcome: string, count: number];
    /** November 2025 in Beijing time: from 2025-10-31T16:00Z to 2025-11-30T16:00Z. */
    const NOVEMBER: Seed[] = [
      ['88.118.8', '2025-10-31T15:59:00Z', 'resolution', 'l1', 1000], // 23:59 on 31 October in Beijing: October
      ['88.118.8', '2025-10-31T16:00:00Z', 'resolution', 'l1', 30], // 00:00 on 1 November in Beijing
      ['88.118.8', '2025-11-15T10:00:00Z', 'resolution', 'l2', 7],
      ['88.118.8', '2025-11-15T10:00:00Z', 'resolution', 'db', 5],
      ['88.118.8', '2025-11-15T10:01:00Z', 'resolution', 'not_found', 4],
      ['88.118.8', '2025-11-15T10:02:00Z', 'resolution', 'error', 2],
      ['88.118.8', '2025-11-30T15:59:00Z', 'resolution', 'l1', 3], // 23:59 on 30 November in Beijing
      ['88.118.8', '2025-11-30T16:00:00Z', 'resolution', 'l1', 500], // December in Beijing
      ['88.118.8', '2025-11-02T00:00:00Z', 'registration', 'create', 2000],
      ['88.118.8', '2025-11-02T00:01:00Z', 'registration', 'create', 500],
      ['88.118.8', '2025-11-03T00:00:00Z', 'registration', 'update', 12],
      ['88.118.8', '2025-11-04T00:00:00Z', 'registration', 'delete', 3],
      ['88.118.9', '2025-11-20T08:00:00Z', 'resolution', 'l1', 100],
      ['88.118.9', '2025-11-20T08:00:00Z', 'registration', 'create', 10],
      ['-', '2025-11-20T08:00:00Z', 'resolution', 'not_found', 70], // not homed here: no enterprise's
    ];

    beforeAll(async () => {
      gamma = await node.approvedEnterprise('88.118.10', 'gamma');
      const columns = NOVEMBER[0].map((_, i) => NOVEMBER.map((row) => row[i]));
      await node.db.client.query(
        `INSERT INTO usage_counts (prefix_key, minute, kind, outcome, count)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[])`,
        columns,
      );
    });

    const zero = { l1: 0, l2: 0, db: 0, notFound: 0, error: 0, total: 0 };

    it('sums a past month per enterprise in Beijing time, one row per enterprise that existed', async () => {
      const reply = await get(`${REPORT}?month=2025-11`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        month: '2025-11',
        timeZone: 'Asia/Shanghai',
        from: '2025-10-31T16:00:00.000Z',
        to: '2025-11-30T16:00:00.000Z',
        complete: true,
        // By organisation name; gamma was created after November and is left out.
        items: [
          {
            enterpriseId: beta.enterpriseId,
            organisation: 'Beta Valves',
            creditCode: expect.any(String),
            status: 'active',
            prefixes: ['88.118.9'],
            identifiers: { registered: 10, updated: 0, deleted: 0 },
            resolutions: { ...zero, l1: 100, total: 100 },
          },
          {
            enterpriseId: acme.enterpriseId,
            organisation: '黄石工具有限公司',
            creditCode: expect.any(String),
            status: 'active',
            prefixes: ['88.118.8'],
            identifiers: { registered: 2500, updated: 12, deleted: 3 },
            resolutions: { l1: 33, l2: 7, db: 5, notFound: 4, error: 2, total: 51 },
          },
        ],
        totals: { identifiers: { registered: 2510, updated: 12, deleted: 3 }, resolutions: { l1: 133, l2: 7, db: 5, notFound: 4, error: 2, total: 151 } },
      });
      // October: only acme existed; its minute before midnight in Beijing belongs there.
      const october = await get(`${REPORT}?month=2025-10`);
      expect(october.body.items).toEqual([expect.objectContaining({ enterpriseId: acme.enterpriseId, resolutions: { ...zero, l1: 1000, total: 1000 } })]);
    });

    it('counts the current month as it goes: a known number of registrations and resolutions', async () => {
      for (const suffix of ['M1', 'M2', 'M3', 'M4', 'M5']) await register(gamma, suffix);
      await register(gamma, 'M1', 'https://example.cn/m1-v2');
      await register(gamma, 'M2', 'https://example.cn/m2-v2');
      expect((await node.request('DELETE', `/api/handles/${gamma.prefix}/M5`, { token: gamma.token })).status).toBe(200);
      for (const suffix of ['M1', 'M1', 'M2', 'M3']) expect((await node.request('GET', `/api/handles/${gamma.prefix}/${suffix}`)).status).toBe(200);
      for (const suffix of ['M5', 'NONE']) expect((await node.request('GET', `/api/handles/${gamma.prefix}/${suffix}`)).status).toBe(404);

      const month = beijingMonth();
      const reply = await get(`${REPORT}?month=${month}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ month, complete: false });
      const row = reply.body.items.find((item: { enterpriseId: string }) => item.enterpriseId === gamma.enterpriseId);
      expect(row).toEqual({
        enterpriseId: gamma.enterpriseId,
        organisation: 'Org of gamma',
        creditCode: expect.any(String),
        status: 'active',
        prefixes: ['88.118.10'],
        identifiers: { registered: 5, updated: 2, deleted: 1 },
        resolutions: { l1: expect.any(Number), l2: 0, db: expect.any(Number), notFound: 2, error: 0, total: 6 },
      });
      expect(row.resolutions.l1 + row.resolutions.db).toBe(4);

      // The same figures as CSV and as a workbook.
      const csv = csvRecords(await download(`${REPORT}?month=${month}&format=csv`), `idis-monthly-report-${month}.csv`);
      const csvRow = csv.find((r) => r['Enterprise id'] === gamma.enterpriseId);
      expect(csvRow).toMatchObject({ Organisation: 'Org of gamma', Prefixes: '88.118.10', 'Identifiers registered': '5', 'Identifiers updated': '2', 'Identifiers deleted': '1', 'Resolutions not found': '2', 'Resolutions total': '6' });
      expect(csv).toHaveLength(reply.body.items.length);

      const xlsx = await download(`${REPORT}?month=${month}&format=xlsx`);
      expect(xlsx.status).toBe(200);
      expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(xlsx.headers.get('content-disposition')).toBe(`attachment; filename="idis-monthly-report-${month}.xlsx"`);
      const workbook = new Workbook();
      await workbook.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
      const sheet = workbook.getWorksheet(month);
      expect(sheet).toBeDefined();
      const header = (sheet!.getRow(1).values as unknown[]).slice(1);
      expect(header).toEqual(csv.length > 0 ? Object.keys(csv[0]) : []);
      const column = (name: string) => header.indexOf(name) + 1;
      const gammaRow = sheet!.getRows(2, sheet!.rowCount - 1)!.find((r) => r.getCell(column('Enterprise id')).value === gamma.enterpriseId)!;
      expect(gammaRow).toBeDefined();
      for (const [name, expected] of [['Identifiers registered', 5], ['Identifiers updated', 2], ['Identifiers deleted', 1], ['Resolutions not found', 2], ['Resolutions total', 6], ['Resolutions L2 cache', 0]] as const) {
        const cell = gammaRow.getCell(column(name));
        expect({ name, type: cell.type, value: cell.value }).toEqual({ name, type: ValueType.Number, value: expected });
      }
      expect(gammaRow.getCell(column('Organisation')).value).toBe('Org of gamma');
      expect(sheet!.getColumn(column('Organisation')).width).toBeGreaterThanOrEqual(20);
      expect(sheet!.getRow(1).font?.bold).toBe(true);
    });

    it('writes a past month as XLSX with numbers as numbers', async () => {
      const xlsx = await download(`${REPORT}?month=2025-11&format=xlsx`);
      const workbook = new Workbook();
      await workbook.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
      const sheet = workbook.getWorksheet('2025-11')!;
      expect(sheet.rowCount).toBe(3);
      const header = (sheet.getRow(1).values as unknown[]).slice(1);
      const values = (row: number) => Object.fromEntries(header.map((name, i) => [name, sheet.getRow(row).getCell(i + 1).value]));
      expect(values(3)).toMatchObject({ Organisation: '黄石工具有限公司', Prefixes: '88.118.8', 'Identifiers registered': 2500, 'Resolutions L1 cache': 33, 'Resolutions L2 cache': 7, 'Resolutions database': 5, 'Resolutions error': 2, 'Resolutions total': 51 });
    });

    it('pages the JSON rows on request, with the whole month\'s totals; without paging sends every row', async () => {
      const whole = (await get(`${REPORT}?month=2025-11`)).body;
      expect(whole).not.toHaveProperty('total');
      const first = await get(`${REPORT}?month=2025-11&page=1&pageSize=1`);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ month: '2025-11', total: 2, page: 1, pageSize: 1, totals: whole.totals });
      expect(first.body.items).toEqual([whole.items[0]]);
      expect((await get(`${REPORT}?month=2025-11&page=2&pageSize=1`)).body.items).toEqual([whole.items[1]]);
      expect((await get(`${REPORT}?month=2025-11&page=3&pageSize=1`)).body).toMatchObject({ items: [], total: 2, page: 3 });
      expect((await get(`${REPORT}?month=2025-11&page=1`)).body).toMatchObject({ items: whole.items, total: 2, pageSize: 20 });
      // the downloads hold every row whatever the page
      const csv = csvRecords(await download(`${REPORT}?month=2025-11&format=csv&page=2&pageSize=1`), 'idis-monthly-report-2025-11.csv');
      expect(csv).toHaveLength(2);
    });

    it('is for operators only', async () => {
      expectProblem(await get(`${REPORT}?month=2025-11`, acme.token), 403, 'FORBIDDEN');
      expectProblem(await get(`${REPORT}?month=2025-11&format=xlsx`, acme.token), 403, 'FORBIDDEN');
      expectProblem(await get(`${REPORT}?month=2025-11`, partner), 403, 'FORBIDDEN');
      expectProblem(await node.request('GET', `${REPORT}?month=2025-11`), 401, 'AUTHENTICATION_REQUIRED');
    });

    it.each([
      ['', 'month'],
      ['month=2025-13', 'month'],
      ['month=2025-1', 'month'],
      ['month=nov-2025', 'month'],
      ['month=1999-12', 'month'],
      ['month=2025-11&month=2025-10', 'month'],
      ['month=2025-11&format=pdf', 'format'],
      ['month=2025-11&prefix=88.118.8', 'prefix'],
      ['month=2025-11&page=0', 'page'],
      ['month=2025-11&pageSize=201', 'pageSize'],
      ['month=2025-11&format=csv&page=x', 'page'],
    ])('refuses ?%s with a 400 naming %s', async (query, name) => {
      const reply = await node.refused('GET', `${REPORT}?${query}`, { token: operator });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.detail).toContain(name);
    });

    it('refuses a month after the current one in Beijing', async () => {
      const next = new Date(Date.now() + 8 * 3_600_000);
      next.setUTCDate(1);
      next.setUTCMonth(next.getUTCMonth() + 1);
      const reply = await node.refused('GET', `${REPORT}?month=${next.toISOString().slice(0, 7)}`, { token: operator });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.detail).toMatch(/future/);
    });
  });
});
