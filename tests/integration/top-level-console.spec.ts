import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../support/http';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TopLevelProcess } from '../support/top-level-process';
import { type Credentials, ENROLMENT_TOKEN, enterprise, TopLevelClient } from './top-level-harness';

const ADMIN = 'operator-token-0123456789-console';
const DAY = Date.UTC(2026, 10, 3);
const HOUR = 3_600_000;

/** What the operator's console reads and does; every one is refused to anyone else. */
const OPERATOR_ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/api/v1/settings'],
  ['GET', '/api/v1/nodes'],
  ['GET', '/api/v1/nodes?page=1&pageSize=1'],
  ['GET', '/api/v1/nodes/node-near'],
  ['GET', '/api/v1/filings?awaitingReview=true'],
  ['GET', '/api/v1/filings/88.118.8'],
  ['GET', '/api/v1/volumes?from=2026-11-01&to=2026-11-10'],
  ['POST', '/api/v1/filings/88.118.8/approve', { reason: 'looks fine' }],
  ['POST', '/api/v1/filings/88.118.8/reject', { reason: 'no' }],
];

/** A stand-in build of the page: index.html and one hashed asset, as Vite lays them out. */
function fakeConsoleBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'top-level-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="zh-CN"><head><script type="module" src="/console/assets/index-AbC123xy.js"></script></head><body><div id="app"></div></body></html>');
  writeFileSync(join(dir, 'assets', 'index-AbC123xy.js'), 'console.log("top level");\n');
  writeFileSync(join(dir, '.env'), 'SECRET=1\n');
  return dir;
}

describe('top-level node: the operator API of its console, and the page it serves (a real process)', () => {
  let db: TestDatabase;
  let proc: TopLevelProcess;
  let http: string;
  let client: TopLevelClient;
  let near: Credentials;
  let consoleDir: string;
  const api = (method: string, path: string, options: { token?: string; body?: unknown } = {}) => request(http, method, path, options);

  beforeAll(async () => {
    db = await createTestDatabase('toplevel_console');
    consoleDir = fakeConsoleBuild();
    proc = TopLevelProcess.spawn({
      DATABASE_URL: db.url,
      ENROLMENT_TOKEN,
      TOP_LEVEL_GRPC_PORT: '0',
      TOP_LEVEL_HTTP_PORT: '0',
      HOST: '127.0.0.1',
      TOP_LEVEL_ADMIN_TOKEN: ADMIN,
      FILING_REVIEW: 'manual',
      TOP_LEVEL_HEARTBEAT_INTERVAL_SECONDS: '30',
      TOP_LEVEL_CONSOLE_DIR: consoleDir,
    });
    const ready = await proc.ready();
    http = ready.httpUrl;
    client = new TopLevelClient(ready.grpcAddress);
    near = await client.enrol('node-near', '88.118');
    const far = await client.enrol('node-far', '88.200');
    await client.enrol('node-quiet', '88.300');
    await client.signed(near, 'Reporting', 'Heartbeat', { sequence: 1, sentAtMs: Date.now(), status: 'ok', endpoints: [], outboxDepth: 2 });
    await client.signed(far, 'Reporting', 'Heartbeat', { sequence: 1, sentAtMs: Date.now(), status: 'degraded', endpoints: [], outboxDepth: 0 });
    await db.client.query(`UPDATE nodes SET last_heartbeat_at = now() - interval '120 seconds' WHERE node_id = 'node-far'`);
    await client.signed(near, 'PrefixFiling', 'Create', { clientTransactionId: 'c-1', prefix: '88.118.8', enterprise: enterprise('Huangshi Tools Co.') });
    await client.signed(near, 'PrefixFiling', 'Create', { clientTransactionId: 'c-2', prefix: '88.118.9', enterprise: enterprise('Huangshi Valves Co.') });
    for (const [sequence, start, node, resolutions] of [
      [1, DAY, near, 100],
      [2, DAY + HOUR, near, 20],
      [3, DAY + 86_400_000, near, 7],
      [1, DAY, far, 50],
    ] as const) {
      await client.signed(node, 'Reporting', 'ReportStatistics', {
        sequence,
        periodStartMs: start,
        periodEndMs: start + HOUR,
        volumes: [{ prefix: node === near ? '88.118.8' : '88.200.1', registrations: 1, resolutions, notFound: 2, errors: 0 }],
      });
    }
  });

  afterAll(async () => {
    client?.close();
    await proc?.stop();
    await db?.drop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  it('refuses every operator route to an anonymous caller (401 with a Bearer challenge) and to a wrong token (403), changing nothing', async () => {
    const before = (await db.client.query(`SELECT status, pending_transaction_id FROM filings WHERE prefix_key = '88.118.8'`)).rows;
    for (const [method, path, body] of OPERATOR_ROUTES) {
      const anonymous = await api(method, path, { body });
      expect({ method, path, status: anonymous.status }).toEqual({ method, path, status: 401 });
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      expect(anonymous.body).toMatchObject({ status: 401, code: 'NOT_AUTHENTICATED' });
      expect(anonymous.text).not.toMatch(/Huangshi|node-far|88\.200/);
      for (const token of ['wrong-token-0123456789', near.secret, ENROLMENT_TOKEN]) {
        const wrong = await api(method, path, { token, body });
        expect({ method, path, status: wrong.status }).toEqual({ method, path, status: 403 });
        expect(wrong.body).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
    expect((await db.client.query(`SELECT status, pending_transaction_id FROM filings WHERE prefix_key = '88.118.8'`)).rows).toEqual(before);
  });

  it('tells the operator the review mode and when a node counts as stale', async () => {
    const settings = await api('GET', '/api/v1/settings', { token: ADMIN });
    expect(settings.status).toBe(200);
    expect(settings.body).toEqual({
      operatorTokenRequired: true,
      filingReview: 'manual',
      filingReviewDelayMs: 1000,
      heartbeatIntervalSeconds: 30,
      reportIntervalSeconds: 60,
      nodeStatus: { onlineWithinSeconds: 90, staleWithinSeconds: 300 },
    });
    expect((await api('GET', '/api/v1/settings?verbose=1', { token: ADMIN })).status).toBe(400);
  });

  it('pages the enrolled nodes by id, each with its last heartbeat and link status (online, stale, offline)', async () => {
    const first = await api('GET', '/api/v1/nodes?page=1&pageSize=2', { token: ADMIN });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(first.body.items.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status])).toEqual([
      ['node-far', 'stale'],
      ['node-near', 'online'],
    ]);
    expect(first.body.items[1]).toMatchObject({ secondaryPrefix: '88.118', reportedStatus: 'ok', outboxDepth: 2 });
    expect(Date.now() - Date.parse(first.body.items[1].lastHeartbeatAt)).toBeLessThan(60_000);
    const second = await api('GET', '/api/v1/nodes?page=2&pageSize=2', { token: ADMIN });
    expect(second.body.items).toEqual([expect.objectContaining({ nodeId: 'node-quiet', status: 'offline', lastHeartbeatAt: null })]);
    expect((await api('GET', '/api/v1/nodes?page=3&pageSize=2', { token: ADMIN })).body).toMatchObject({ items: [], total: 3 });
    const defaults = await api('GET', '/api/v1/nodes', { token: ADMIN });
    expect(defaults.body).toMatchObject({ total: 3, page: 1, pageSize: 50 });
  });

  it('refuses bad paging and unknown parameters on every list with 400 problem details', async () => {
    const bad = [
      '/api/v1/nodes?pageSize=0',
      '/api/v1/nodes?pageSize=501',
      '/api/v1/nodes?page=0',
      '/api/v1/nodes?page=abc',
      '/api/v1/nodes?page=1&page=2',
      '/api/v1/nodes?sort=nodeId',
      '/api/v1/filings?awaitingReview=maybe',
      '/api/v1/filings?pageSize=10000',
      '/api/v1/filings?stauts=pending',
      '/api/v1/filings?nodeId=%3Cscript%3E',
      '/api/v1/volumes?from=2026-11-10&to=2026-11-01',
      '/api/v1/volumes?from=2025-01-01&to=2026-11-01',
      '/api/v1/volumes?from=yesterday',
      '/api/v1/volumes?groupBy=hour',
      '/api/v1/volumes?node=node-near',
    ];
    for (const path of bad) {
      const reply = await api('GET', path, { token: ADMIN });
      expect({ path, status: reply.status }).toEqual({ path, status: 400 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.body).toMatchObject({ status: 400, code: 'INVALID_INPUT', detail: expect.any(String) });
    }
    const unknown = await api('GET', '/api/v1/nodes?sort=nodeId', { token: ADMIN });
    expect(unknown.body.detail).toBe('unknown query parameter "sort"; expected page, pageSize');
  });

  it('lists filings awaiting review with the operation under review, and drops one from that list once approved', async () => {
    const awaiting = await api('GET', '/api/v1/filings?awaitingReview=true', { token: ADMIN });
    expect(awaiting.status).toBe(200);
    expect(awaiting.body.items.map((f: { prefix: string; status: string; pendingOperation: string }) => [f.prefix, f.status, f.pendingOperation]).sort()).toEqual([
      ['88.118.8', 'pending', 'create'],
      ['88.118.9', 'pending', 'create'],
    ]);
    expect(awaiting.body.items[0].enterprise.creditCode).toBe(enterprise().creditCode);

    const approved = await api('POST', '/api/v1/filings/88.118.8/approve', { token: ADMIN });
    expect(approved.status).toBe(200);
    expect(approved.body.filing).toMatchObject({ status: 'approved', pendingTransactionId: null, pendingOperation: null });
    const still = await api('GET', '/api/v1/filings?awaitingReview=true', { token: ADMIN });
    expect(still.body.items.map((f: { prefix: string }) => f.prefix)).toEqual(['88.118.9']);
    const decided = await api('GET', '/api/v1/filings?awaitingReview=false&status=approved', { token: ADMIN });
    expect(decided.body.items.map((f: { prefix: string }) => f.prefix)).toEqual(['88.118.8']);

    // An update of an approved filing is under review while the prefix stays approved.
    await client.signed(near, 'PrefixFiling', 'Update', { clientTransactionId: 'u-1', prefix: '88.118.8', enterprise: enterprise('Huangshi Tools Group') });
    const updating = await api('GET', '/api/v1/filings/88.118.8', { token: ADMIN });
    expect(updating.body).toMatchObject({ status: 'approved', pendingOperation: 'update' });
    const paged = await api('GET', '/api/v1/filings?awaitingReview=true&pageSize=1&page=2', { token: ADMIN });
    expect(paged.body).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(paged.body.items).toHaveLength(1);
  });

  it('sums reported volumes per node and UTC day for the chart, not truncated', async () => {
    const volumes = await api('GET', '/api/v1/volumes?from=2026-11-01&to=2026-11-10', { token: ADMIN });
    expect(volumes.status).toBe(200);
    expect(volumes.body).toMatchObject({ groupBy: 'day', truncated: false });
    expect(volumes.body.items).toEqual([
      { nodeId: 'node-near', day: '2026-11-04', registrations: 1, resolutions: 7, notFound: 2, errors: 0, reports: 1 },
      { nodeId: 'node-far', day: '2026-11-03', registrations: 1, resolutions: 50, notFound: 2, errors: 0, reports: 1 },
      { nodeId: 'node-near', day: '2026-11-03', registrations: 2, resolutions: 120, notFound: 4, errors: 0, reports: 2 },
    ]);
    const one = await api('GET', '/api/v1/volumes?from=2026-11-01&to=2026-11-10&nodeId=node-far', { token: ADMIN });
    expect(one.body.items.map((v: { nodeId: string }) => v.nodeId)).toEqual(['node-far']);
  });

  it('serves the page at /console/: index.html never cached, hashed assets immutable for a year, page routes falling back to index.html', async () => {
    const bare = await fetch(`${http}/console?lang=en`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/?lang=en');

    for (const path of ['/console/', '/console/filings', '/console/nodes/node-88.118', '/console/volumes?days=7']) {
      const page = await fetch(`${http}${path}`);
      expect({ path, status: page.status }).toEqual({ path, status: 200 });
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await page.text()).toContain('/console/assets/index-AbC123xy.js');
    }

    const asset = await fetch(`${http}/console/assets/index-AbC123xy.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("top level");\n');
    const etag = asset.headers.get('etag');
    expect(etag).toBeTruthy();
    // (fetch would add `cache-control: no-cache` to a conditional request, which forces a full reply)
    const revalidated = await fetch(`${http}/console/assets/index-AbC123xy.js`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(revalidated.status).toBe(304);
    const head = await fetch(`${http}/console/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 404 (never index.html) for a missing asset, a dot file or a path out of the folder', async () => {
    for (const path of ['/console/assets/index-OLD.js', '/console/assets/', '/console/favicon.ico', '/console/.env', '/console/..%2fpackage.json', '/console/assets/..%2f..%2fpackage.json']) {
      const reply = await fetch(`${http}${path}`);
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await reply.text();
      expect(text).not.toContain('SECRET');
      expect(text).not.toContain('idis-secondary-node');
    }
  });
});

describe('top-level node whose console is not built', () => {
  let db: TestDatabase;
  let proc: TopLevelProcess;
  let empty: string;

  beforeAll(async () => {
    db = await createTestDatabase('toplevel_noconsole');
    empty = mkdtempSync(join(tmpdir(), 'top-level-console-none-'));
    proc = TopLevelProcess.spawn({ DATABASE_URL: db.url, ENROLMENT_TOKEN, TOP_LEVEL_GRPC_PORT: '0', TOP_LEVEL_HTTP_PORT: '0', HOST: '127.0.0.1', TOP_LEVEL_CONSOLE_DIR: empty });
  });

  afterAll(async () => {
    await proc?.stop();
    await db?.drop();
    rmSync(empty, { recursive: true, force: true });
  });

  it('says so at start-up and answers 503 with the command that builds it, on the page and its routes', async () => {
    const { httpUrl } = await proc.ready();
    expect(proc.output).toMatch(/Console\s+http:\/\/127\.0\.0\.1:\d+\/console\/ \(not built: npm run build:top-level-console\)/);
    for (const path of ['/console/', '/console/filings', '/console/assets/index-AbC123xy.js']) {
      const reply = await fetch(`${httpUrl}${path}`);
      expect({ path, status: reply.status }).toEqual({ path, status: 503 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await reply.json()).toMatchObject({ status: 503, code: 'UNAVAILABLE', detail: expect.stringContaining('npm run build:top-level-console') });
    }
    // The API itself does not depend on the page.
    expect((await fetch(`${httpUrl}/health`)).status).toBe(200);
  });
});
