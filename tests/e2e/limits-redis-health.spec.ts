import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from '../support/free-port';
import { type HttpReply, request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { SpawnedProcess } from '../support/spawned-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/** An answer of the node must come within this even while Redis is frozen or gone. */
const ANSWER_BOUND_MS = 2000;

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * The secondary node as a real process, on a redis-server of this suite's own (so it can be
 * frozen with SIGSTOP and killed): the rate limiter keeps counting in the process while Redis is
 * frozen or gone, the node keeps answering, and /health says "degraded" — to operators with the
 * detail, to anonymous callers with the status only.
 */
describe('rate limits and /health while Redis is frozen or gone (node process, own redis-server)', () => {
  let db: TestDatabase;
  let redisPort: number;
  let redis: SpawnedProcess | undefined;
  let node: NodeProcess;
  let base: string;
  let operator: string;
  let addressSerial = 0;

  const timed = async (method: string, path: string, options: Parameters<typeof request>[3] = {}): Promise<HttpReply> => {
    const started = Date.now();
    const reply = await request(base, method, path, options);
    expect({ path, ms: Date.now() - started < ANSWER_BOUND_MS }).toEqual({ path, ms: true });
    return reply;
  };

  /** Five anonymous resolutions from a new address pass, the sixth is refused. */
  const expectLimitHolds = async () => {
    addressSerial += 1;
    const headers = { 'x-forwarded-for': `192.0.2.${addressSerial}` };
    for (let i = 0; i < 5; i += 1) expect((await timed('GET', `/api/handles/88.118.8/h-${addressSerial}-${i}`, { headers })).status).not.toBe(429);
    const refused = await timed('GET', `/api/handles/88.118.8/h-${addressSerial}-5`, { headers });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  };

  const health = (token?: string) => timed('GET', '/health', { token });

  beforeAll(async () => {
    db = await createTestDatabase('e2e');
    redisPort = await freePort();
    redis = new SpawnedProcess(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }), 'redis-server');
    await waitFor('the suite’s redis-server to answer PING', () => pings(redisPort), { timeoutMs: 5000 });
    node = NodeProcess.spawn({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMIT_RESOLUTION: '5/1m',
      RATE_LIMIT_LOGIN_USERNAME: 'off',
      RATE_LIMIT_LOGIN_IP: 'off',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    base = await node.ready();
    operator = (await request(base, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } })).body.accessToken;
  }, 120_000);

  afterAll(async () => {
    if (redis?.running) redis.child.kill('SIGCONT');
    await node?.stop();
    await redis?.stop('SIGKILL');
    await db?.drop();
  });

  it('with Redis up: anonymous callers get the status only, operators the checks; a bad token is refused', async () => {
    const anonymous = await health();
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: 'ok' });
    expect(anonymous.text).not.toContain(String(redisPort));
    const detailed = await health(operator);
    expect(detailed.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' }, redis: { status: 'up' }, rateLimitStore: { status: 'up' }, cache: { redis: 'up' } } });
    expect((await health('not-a-token')).status).toBe(401);
    await expectLimitHolds();
  });

  it('with Redis frozen (SIGSTOP): degraded within the probe timeout, the limiter counts in the process, the node keeps answering', async () => {
    redis?.child.kill('SIGSTOP');
    try {
      const anonymous = await health();
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ status: 'degraded' });
      const detailed = await health(operator);
      expect(detailed.body).toMatchObject({ status: 'degraded', checks: { redis: { status: 'down' }, rateLimitStore: { status: 'down' } } });
      await expectLimitHolds();
    } finally {
      redis?.child.kill('SIGCONT');
    }
    await waitFor('/health back to ok after SIGCONT', async () => (await health()).body.status === 'ok', { timeoutMs: 15_000 });
  });

  it('with Redis gone (killed): still limiting per process and answering; the refusals are in /metrics', async () => {
    await redis?.stop('SIGKILL');
    redis = undefined;
    await expectLimitHolds();
    expect((await health()).body).toEqual({ status: 'degraded' });
    const metrics = (await timed('GET', '/metrics')).text;
    const refused = Number(/^idis_rate_limit_refusals_total\{family="resolution"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(refused).toBe(3);
    expect(Number(/^idis_rate_limit_store_fallbacks_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });
});
