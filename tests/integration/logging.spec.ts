import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { SpawnedProcess, trackChild } from '../support/spawned-process';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { request } from '../support/http';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const ROOT = resolve(__dirname, '../..');

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  reqId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  principal?: string;
  role?: string;
}

/** A node process (main.ts through ts-node, services profile) on `db`, its output captured. */
async function spawnNode(db: TestDatabase, env: Record<string, string>): Promise<{ node: SpawnedProcess; baseUrl: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'PORT', 'MQTT_URL', 'REDIS_URL', 'TOP_LEVEL_URL', 'LOG_LEVEL'].includes(key)));
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/secondary-node/src/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', JWT_SECRET, OPERATOR_PASSWORD, LOG_FORMAT: 'json', LOG_LEVEL: 'info', SECONDARY_PREFIX: '88.118', HANDLE_PROTOCOL_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const node = new SpawnedProcess(child, 'the node');
  return { node, baseUrl: (await node.waitForOutput(/Health\s+(http:\/\/\S+)\/health/, 120_000))[1] };
}

function jsonLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * The node's logs as an operator gets them: a real node process (main.ts, services profile) with
 * LOG_FORMAT=json, its stdout and stderr captured. One JSON line per write, admin call and refusal
 * with the request id the audit row carries; no route-mapping chatter at start-up; resolutions not
 * logged one by one; no credential anywhere in the output.
 */
describe('structured logs of a node process', () => {
  let db: TestDatabase;
  let node: SpawnedProcess;
  let baseUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase('logs');
    ({ node, baseUrl } = await spawnNode(db, {}));
  }, 150_000);

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  const lines = (): LogLine[] => jsonLines(node.output);

  it('one line per write, admin call and refusal, carrying the request id of the audit row; no secret in the output', async () => {
    const login = await request(baseUrl, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
    expect(login.status).toBe(200);
    const operator = login.body.accessToken as string;
    const application = await request(baseUrl, 'POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.8', 'log-acme', 'enterprise-pass-LOG') });
    expect(application.status).toBe(201);
    expect((await request(baseUrl, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: operator, headers: { 'x-request-id': 'log-approve-1' } })).status).toBe(200);
    const acme = (await request(baseUrl, 'POST', '/api/v1/auth/token', { body: { username: 'log-acme', password: 'enterprise-pass-LOG' } })).body.accessToken as string;

    const values = [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example/log' } }];
    const written = await request(baseUrl, 'PUT', '/api/handles/88.118.8/LOG-1', { token: acme, body: { values }, headers: { 'x-request-id': 'log-write-1' } });
    expect(written.status).toBe(200);
    expect(written.headers.get('x-request-id')).toBe('log-write-1');
    const refused = await request(baseUrl, 'PUT', '/api/handles/88.118.8/LOG-2', { body: { values }, headers: { authorization: 'Bearer forged-token-VALUE-4242', 'x-request-id': 'log-refused-1' } });
    expect(refused.status).toBe(401);
    for (let i = 0; i < 20; i += 1) expect((await request(baseUrl, 'GET', '/api/handles/88.118.8/LOG-1')).status).toBe(200);
    await node.stop();

    const all = lines();
    const write = all.find((line) => line.reqId === 'log-write-1');
    expect(write).toMatchObject({ level: 30, msg: 'request', method: 'PUT', route: '/api/handles/*', status: 200, principal: 'log-acme', role: 'enterprise' });
    expect(typeof write?.durationMs).toBe('number');
    expect(all.find((line) => line.reqId === 'log-approve-1')).toMatchObject({ level: 30, method: 'POST', status: 200, principal: 'operator', role: 'operator' });
    expect(all.find((line) => line.reqId === 'log-refused-1')).toMatchObject({ level: 30, method: 'PUT', status: 401 });

    // The audit row of the write carries the same request id as its log line.
    const audit = await db.client.query(`SELECT action, actor FROM audit_log WHERE request_id = 'log-write-1'`);
    expect(audit.rows).toEqual([{ action: 'handle.create', actor: 'log-acme' }]);
    expect((await db.client.query(`SELECT action, reason FROM audit_log WHERE request_id = 'log-refused-1'`)).rows).toEqual([{ action: 'auth.refused', reason: 'AUTHENTICATION_REQUIRED' }]);

    // Resolutions are counted, not logged; start-up does not list every route.
    expect(all.filter((line) => line.msg === 'resolution' || line.route === '/api/handles/*' && line.method === 'GET')).toEqual([]);
    expect(all.filter((line) => line.context === 'RouterExplorer' || line.context === 'RoutesResolver')).toEqual([]);
    expect(node.output).not.toMatch(/Mapped \{/);

    // No credential of any kind reaches the logs.
    for (const secret of [operator, acme, 'forged-token-VALUE-4242', OPERATOR_PASSWORD, 'enterprise-pass-LOG', JWT_SECRET]) {
      expect(node.output).not.toContain(secret);
    }
    expect(node.output).not.toMatch(/Bearer \S/);
  }, 120_000);
});

describe('resolution lines on request', () => {
  let db: TestDatabase;
  let node: SpawnedProcess | undefined;

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  it('LOG_RESOLUTION_SAMPLE_RATE=1 logs every resolution at info, without the request hooks of writes', async () => {
    db = await createTestDatabase('logs');
    const started = await spawnNode(db, { LOG_RESOLUTION_SAMPLE_RATE: '1' });
    node = started.node;
    for (let i = 0; i < 3; i += 1) {
      const reply = await request(started.baseUrl, 'GET', `/api/handles/88.118.8/NOPE-${i}`, { headers: { 'x-request-id': `res-${i}` } });
      expect(reply.status).toBe(404);
      // The resolution routes get no per-request context: no X-Request-Id header is added to their replies.
      expect(reply.headers.get('x-request-id')).toBeNull();
    }
    await node.stop();
    const resolutions = jsonLines(node.output).filter((line) => line.msg === 'resolution');
    expect(resolutions.map((line) => [line.level, line.reqId, line.status, line.route])).toEqual([
      [30, 'res-0', 404, '/api/handles/*'],
      [30, 'res-1', 404, '/api/handles/*'],
      [30, 'res-2', 404, '/api/handles/*'],
    ]);
  }, 150_000);
});
