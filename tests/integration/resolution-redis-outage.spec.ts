import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import Redis from 'ioredis';
import { parseHandle } from '@idis/identifier';
import type { FoundRecord, Resolution } from '../../apps/secondary-node/src/resolution/resolution.types';
import { freePort } from '../support/free-port';
import { waitForElapsed } from '../support/wait-for';
import { ResolutionDatabase, type Resolver, startResolver, stringValue, uniqueKeyPrefix } from './resolution-harness';

const PREFIX = '88.118.9';
const COMMAND_TIMEOUT_MS = 300;
const FAILURES = 3;

/** A redis-server of this suite's own, so it can be stopped, frozen and restarted. */
class RedisChild {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisChild> {
    const redis = new RedisChild(await freePort());
    await redis.spawn();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async spawn(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForElapsed(`redis-server on port ${this.port} to answer PING`, () => pings(this.port), { timeoutMs: 5000 });
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

describe('resolution while Redis is hung, killed and restarted', () => {
  let db: ResolutionDatabase;
  let redisChild: RedisChild;
  let probe: Redis;
  const resolvers: Resolver[] = [];
  let counter = 0;
  const fresh = (label: string) => `${PREFIX}/${label}-${++counter}`;
  const keyPrefix = uniqueKeyPrefix('outage');

  const start = async (env: Record<string, string>) => {
    const resolver = await startResolver(db.url, {
      REDIS_URL: redisChild.url,
      REDIS_KEY_PREFIX: keyPrefix,
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      REDIS_BREAKER_FAILURES: String(FAILURES),
      REDIS_BREAKER_COOLDOWN_MS: '300',
      CACHE_L1_DETACHED_TTL_SECONDS: '1',
      ...env,
    });
    resolvers.push(resolver);
    return resolver;
  };
  const version = (resolution: Resolution) => (resolution.entry as FoundRecord).version;

  beforeAll(async () => {
    db = await ResolutionDatabase.create([PREFIX]);
    redisChild = await RedisChild.start();
    probe = new Redis(redisChild.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    await probe.connect();
  });

  afterAll(async () => {
    for (const resolver of resolvers) await resolver.close();
    probe.disconnect();
    await redisChild.kill();
    await db.drop();
  });

  it('a hung Redis costs at most a few timeouts: the breaker opens, invalidations wait, and everything recovers', async () => {
    const resolver = await start({ CACHE_L1_ENABLED: 'false' });
    const handle = fresh('Hung');
    const parsed = parseHandle(handle);
    await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/v1')]);
    expect((await resolver.service.resolve(parsed)).tier).toBe('db');
    expect((await resolver.service.resolve(parsed)).tier).toBe('l2');
    expect(resolver.health.snapshot()).toMatchObject({ redis: 'up', breaker: 'closed', invalidationChannel: 'up' });

    redisChild.signal('SIGSTOP');
    const durations: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      const started = performance.now();
      const answer = await resolver.service.resolve(parsed);
      durations.push(performance.now() - started);
      expect(answer.tier).toBe('db');
      expect(version(answer)).toBe(1);
    }
    // Only the requests before the breaker opened waited for the command timeout.
    expect(durations.filter((ms) => ms >= COMMAND_TIMEOUT_MS * 0.8).length).toBeLessThanOrEqual(FAILURES);
    expect(durations.slice(FAILURES).every((ms) => ms < COMMAND_TIMEOUT_MS / 2)).toBe(true);
    expect(resolver.health.snapshot()).toMatchObject({ redis: 'down' });
    expect(resolver.health.snapshot().breaker).not.toBe('closed');

    // A write during the outage: acknowledged at once, delivered when Redis answers again.
    await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/v2')]);
    const invalidateStarted = performance.now();
    await resolver.cache.invalidate([parsed.key]);
    expect(performance.now() - invalidateStarted).toBeLessThan(COMMAND_TIMEOUT_MS);
    expect(resolver.health.snapshot().pendingInvalidations).toBe(1);
    // The frozen server keeps the socket open; only the heartbeat can tell the channel is dead.
    await waitForElapsed('the invalidation channel to be reported down', () => resolver.health.snapshot().invalidationChannel === 'down', { timeoutMs: 3000 });

    redisChild.signal('SIGCONT');
    await waitForElapsed(
      'breaker closed, channel up and the pending invalidation delivered',
      () => {
        const health = resolver.health.snapshot();
        return health.redis === 'up' && health.breaker === 'closed' && health.invalidationChannel === 'up' && health.pendingInvalidations === 0;
      },
      { timeoutMs: 5000 },
    );
    expect(await probe.exists(`${keyPrefix}rec:${parsed.key}`)).toBe(0);
    const fresh1 = await resolver.service.resolve(parsed);
    expect(fresh1.tier).toBe('db');
    expect(version(fresh1)).toBe(2);
    expect((await resolver.service.resolve(parsed)).tier).toBe('l2');
  });

  it('with Redis killed it answers from L1 and PostgreSQL, L1 lives only the detached TTL, and a restarted Redis is used again', async () => {
    const withL1 = await start({});
    const withoutL1 = await start({ CACHE_L1_ENABLED: 'false' });
    const handle = fresh('Killed');
    const parsed = parseHandle(handle);
    await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/k1')]);
    expect((await withL1.service.resolve(parsed)).tier).toBe('db');
    const filledBeforeTheOutage = performance.now();
    expect((await withL1.service.resolve(parsed)).tier).toBe('l1');

    await redisChild.kill();
    await waitForElapsed('both replicas to notice', () =>
      [withL1, withoutL1].every((r) => r.health.snapshot().redis === 'down' && r.health.snapshot().invalidationChannel === 'down'),
    );

    // An entry filled before the outage is served at most the detached TTL (1 s), not its 86400 s.
    const droppedAfter = await waitForElapsed('the pre-outage L1 entry to be dropped', async () => {
      const answer = await withL1.service.resolve(parsed);
      expect(version(answer)).toBe(1);
      return answer.tier === 'db';
    }, { timeoutMs: 3000 });
    expect(performance.now() - filledBeforeTheOutage).toBeGreaterThanOrEqual(900);
    expect(droppedAfter).toBeLessThan(2000);
    // Entries filled during the outage live the detached TTL too.
    expect((await withL1.service.resolve(parsed)).tier).toBe('l1');
    await waitForElapsed('the detached L1 entry to expire', async () => (await withL1.service.resolve(parsed)).tier === 'db', { timeoutMs: 2500 });

    // Without L1 every request goes to PostgreSQL, quickly, and the breaker opens.
    const started = performance.now();
    for (let i = 0; i < 10; i += 1) expect((await withoutL1.service.resolve(parsed)).tier).toBe('db');
    expect(performance.now() - started).toBeLessThan(10 * COMMAND_TIMEOUT_MS);
    expect(withoutL1.health.snapshot().breaker).not.toBe('closed');

    // A replica that boots during the outage waits a bounded time for Redis, then serves from PostgreSQL.
    const bootStarted = performance.now();
    const bootedDuringOutage = await start({});
    expect(performance.now() - bootStarted).toBeLessThan(3000);
    expect(bootedDuringOutage.health.snapshot()).toMatchObject({ redis: 'down', invalidationChannel: 'down' });
    expect((await bootedDuringOutage.service.resolve(parsed)).tier).toBe('db');

    await redisChild.spawn();
    await waitForElapsed(
      'all three replicas to reconnect, close their breakers and subscribe',
      () =>
        [withL1, withoutL1, bootedDuringOutage].every((r) => {
          const health = r.health.snapshot();
          return health.redis === 'up' && health.breaker === 'closed' && health.invalidationChannel === 'up';
        }),
      { timeoutMs: 10_000 },
    );
    // The restarted server is empty: fill L2 again and read it from the other replica.
    expect((await withoutL1.service.resolve(parsed)).tier).toBe('db');
    expect((await withoutL1.service.resolve(parsed)).tier).toBe('l2');
    expect((await withL1.service.resolve(parsed)).tier).toBe('l2');
    expect((await withL1.service.resolve(parsed)).tier).toBe('l1');
    expect((await bootedDuringOutage.service.resolve(parsed)).tier).toBe('l2');

    // And the channel carries invalidations again.
    await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/k2')]);
    await withoutL1.cache.invalidate([parsed.key]);
    await waitForElapsed('the L1 replica to answer the new version', async () => version(await withL1.service.resolve(parsed)) === 2, { timeoutMs: 1000 });
  });
});

/** One raw PING, so readiness checks need no client with its own reconnect logic. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
