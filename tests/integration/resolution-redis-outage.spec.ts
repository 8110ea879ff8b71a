import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import Redis from 'ioredis';
import { parseHandle } from '@idis/identifier';
import { InvalidationChannel } from '../../apps/secondary-node/src/resolution/invalidation-channel';
import type { FoundRecord, Resolution } from '../../apps/secondary-node/src/resolution/resolution.types';
import { freePort } from '../support/free-port';
import { SpawnedProcess } from '../support/spawned-process';
import { settlesWithin, waitForElapsed } from '../support/wait-for';
import { ResolutionDatabase, type Resolver, startResolver, stringValue, uniqueKeyPrefix } from './resolution-harness';

const PREFIX = '88.118.9';
const COMMAND_TIMEOUT_MS = 300;
const FAILURES = 3;
const DETACHED_TTL_MS = 1000;
/** For waits on a state the node reaches by itself: generous, as only reaching it is asserted. */
const STATE_TIMEOUT_MS = 15_000;
/**
 * A detached L1 entry is gone within this: four times the detached TTL configured here, yet under
 * the 5 s default, so it is the configured TTL that applies (and not the record's 86400 s).
 */
const DETACHED_EXPIRY_BOUND_MS = 4 * DETACHED_TTL_MS;

/** A redis-server of this suite's own, so it can be stopped, frozen and restarted. */
class RedisChild {
  private server: SpawnedProcess | undefined;

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
    this.server = new SpawnedProcess(spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }), 'redis-server');
    await waitForElapsed(`redis-server on port ${this.port} to answer PING`, () => pings(this.port), { timeoutMs: 5000 });
  }

  signal(signal: NodeJS.Signals): void {
    this.server?.child.kill(signal);
  }

  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop('SIGKILL');
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
      CACHE_L1_DETACHED_TTL_SECONDS: String(DETACHED_TTL_MS / 1000),
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
    const breakerAfter: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const started = performance.now();
      const answer = await resolver.service.resolve(parsed);
      durations.push(performance.now() - started);
      breakerAfter.push(resolver.health.snapshot().breaker);
      expect(answer.tier).toBe('db');
      expect(version(answer)).toBe(1);
    }
    // The breaker opened within the first FAILURES requests and stayed open (or probing) while
    // Redis hung, so every later request skipped Redis; only the requests before it waited for
    // the command timeout.
    expect(breakerAfter.slice(FAILURES - 1).filter((state) => state === 'closed')).toEqual([]);
    expect(durations.filter((ms) => ms >= COMMAND_TIMEOUT_MS * 0.8).length).toBeLessThanOrEqual(FAILURES);
    expect(resolver.health.snapshot()).toMatchObject({ redis: 'down' });
    expect(resolver.health.snapshot().breaker).not.toBe('closed');

    // A write during the outage: acknowledged at once, delivered when Redis answers again.
    await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/v2')]);
    const invalidateStarted = performance.now();
    await resolver.cache.invalidate([parsed.key]);
    expect(performance.now() - invalidateStarted).toBeLessThan(COMMAND_TIMEOUT_MS);
    expect(resolver.health.snapshot().pendingInvalidations).toBe(1);
    // The frozen server keeps the socket open; only the heartbeat can tell the channel is dead.
    await waitForElapsed('the invalidation channel to be reported down', () => resolver.health.snapshot().invalidationChannel === 'down', { timeoutMs: STATE_TIMEOUT_MS });

    redisChild.signal('SIGCONT');
    await waitForElapsed(
      'breaker closed, channel up and the pending invalidation delivered',
      () => {
        const health = resolver.health.snapshot();
        return health.redis === 'up' && health.breaker === 'closed' && health.invalidationChannel === 'up' && health.pendingInvalidations === 0;
      },
      { timeoutMs: STATE_TIMEOUT_MS },
    );
    expect(await probe.exists(`${keyPrefix}rec:${parsed.key}`)).toBe(0);
    const fresh1 = await resolver.service.resolve(parsed);
    expect(fresh1.tier).toBe('db');
    expect(version(fresh1)).toBe(2);
    expect((await resolver.service.resolve(parsed)).tier).toBe('l2');
  });

  it("a stall of the node's own event loop while a PING is in flight neither detaches the channel nor clears L1", async () => {
    const resolver = await start({});
    const handle = fresh('Stall');
    const parsed = parseHandle(handle);
    await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/s1')]);
    expect((await resolver.service.resolve(parsed)).tier).toBe('db');
    expect((await resolver.service.resolve(parsed)).tier).toBe('l1');
    await waitForElapsed('the channel to be up', () => resolver.health.snapshot().invalidationChannel === 'up', { timeoutMs: STATE_TIMEOUT_MS });

    const cache = resolver.cache as unknown as { onAttachmentChange(attached: boolean): void };
    const attachmentChanges = jest.spyOn(cache, 'onAttachmentChange');
    const subscriber = (resolver.moduleRef.get(InvalidationChannel) as unknown as { subscriber: Redis }).subscriber;
    const ping = subscriber.ping.bind(subscriber);
    let stalled = 0;
    // The next PING is sent, then, before its PONG has come back, the loop is blocked (as by a long
    // GC or a heavy request) for well past the command timeout: the PONG arrives meanwhile but can
    // only be read once the loop runs again, after the timers that are due by then.
    jest.spyOn(subscriber, 'ping').mockImplementation((() => {
      const answer = ping();
      if (stalled === 0) {
        setImmediate(() => {
          const until = performance.now() + 3 * COMMAND_TIMEOUT_MS;
          while (performance.now() < until) stalled += 1;
        });
      }
      return answer;
    }) as never);
    await waitForElapsed('a PING to be sent and the loop stalled after it', () => stalled > 0, { timeoutMs: STATE_TIMEOUT_MS });
    // Two more heartbeats: a verdict of the stalled PING would have detached the channel by now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(attachmentChanges).not.toHaveBeenCalled();
    expect(resolver.health.snapshot().invalidationChannel).toBe('up');
    expect((await resolver.service.resolve(parsed)).tier).toBe('l1');
    expect(resolver.findForResolution).toHaveBeenCalledTimes(1);
  });

  it('a Redis that stops answering keeps the L1 when the subscription never broke, and clears it when the connection did', async () => {
    const withL1 = await start({});
    const publisher = await start({ CACHE_L1_ENABLED: 'false' });
    const changed = parseHandle(fresh('Frozen'));
    const untouched = parseHandle(fresh('Kept'));
    await db.insert(changed.handle, [stringValue(1, 'URL', 'https://example.cn/f1')]);
    await db.insert(untouched.handle, [stringValue(1, 'URL', 'https://example.cn/u1')]);
    for (const parsed of [changed, untouched]) {
      await withL1.service.resolve(parsed);
      expect((await withL1.service.resolve(parsed)).tier).toBe('l1');
    }
    await waitForElapsed('both channels to be up', () => [withL1, publisher].every((r) => r.health.snapshot().invalidationChannel === 'up'), { timeoutMs: STATE_TIMEOUT_MS });

    // Frozen: the socket stays open, PINGs go unanswered, the channel detaches. A write meanwhile
    // is invalidated by the other replica once Redis answers again.
    redisChild.signal('SIGSTOP');
    try {
      await waitForElapsed('the channel to be reported down', () => withL1.health.snapshot().invalidationChannel === 'down', { timeoutMs: STATE_TIMEOUT_MS });
      await db.update(changed.handle, [stringValue(1, 'URL', 'https://example.cn/f2')]);
      await publisher.cache.invalidate([changed.key]);
    } finally {
      redisChild.signal('SIGCONT');
    }
    await waitForElapsed(
      'the channel up again and the invalidation published',
      () => withL1.health.snapshot().invalidationChannel === 'up' && publisher.health.snapshot().pendingInvalidations === 0,
      { timeoutMs: STATE_TIMEOUT_MS },
    );
    // Same connection throughout: the untouched entry is still served from L1, the changed one is not.
    expect((await withL1.service.resolve(untouched)).tier).toBe('l1');
    await waitForElapsed('the changed record at its new version', async () => version(await withL1.service.resolve(changed)) === 2, { timeoutMs: STATE_TIMEOUT_MS });

    // The subscriber's connection is closed by the server: messages may have been lost while it
    // reconnected, so the re-attachment clears L1.
    expect((await withL1.service.resolve(untouched)).tier).toBe('l1');
    const killed = (await probe.call('CLIENT', 'KILL', 'TYPE', 'pubsub')) as number;
    expect(killed).toBeGreaterThanOrEqual(1);
    await waitForElapsed(
      'the subscriber to be back (down, then up)',
      () => withL1.health.snapshot().invalidationChannel === 'up' && (withL1.cache as unknown as { l1: { size: number } }).l1.size === 0,
      { timeoutMs: STATE_TIMEOUT_MS },
    );
    expect((await withL1.service.resolve(untouched)).tier).toBe('l2');
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
    await waitForElapsed(
      'both replicas to notice',
      () => [withL1, withoutL1].every((r) => r.health.snapshot().redis === 'down' && r.health.snapshot().invalidationChannel === 'down'),
      { timeoutMs: STATE_TIMEOUT_MS },
    );

    // An entry filled before the outage is served at most the detached TTL (1 s), not its 86400 s.
    await waitForElapsed('the pre-outage L1 entry to be dropped', async () => {
      const answer = await withL1.service.resolve(parsed);
      expect(version(answer)).toBe(1);
      return answer.tier === 'db';
    }, { timeoutMs: STATE_TIMEOUT_MS });
    const servedFor = performance.now() - filledBeforeTheOutage;
    expect(servedFor).toBeGreaterThanOrEqual(DETACHED_TTL_MS * 0.9);
    expect(servedFor).toBeLessThan(DETACHED_EXPIRY_BOUND_MS);
    // Entries filled during the outage live the detached TTL too.
    expect((await withL1.service.resolve(parsed)).tier).toBe('l1');
    const expiredAfter = await waitForElapsed('the detached L1 entry to expire', async () => (await withL1.service.resolve(parsed)).tier === 'db', { timeoutMs: STATE_TIMEOUT_MS });
    expect(expiredAfter).toBeLessThan(DETACHED_EXPIRY_BOUND_MS);

    // Without L1 every request goes to PostgreSQL, quickly, and the breaker opens.
    const started = performance.now();
    for (let i = 0; i < 10; i += 1) expect((await withoutL1.service.resolve(parsed)).tier).toBe('db');
    expect(performance.now() - started).toBeLessThan(10 * COMMAND_TIMEOUT_MS);
    expect(withoutL1.health.snapshot().breaker).not.toBe('closed');

    // A replica that boots during the outage waits a bounded time for Redis, then serves from
    // PostgreSQL: its boot completes while Redis is still down (it does not wait for Redis to return).
    const bootedDuringOutage = await settlesWithin('a replica to boot during the outage', start({}), 30_000);
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
      { timeoutMs: STATE_TIMEOUT_MS },
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
    await waitForElapsed('the L1 replica to answer the new version', async () => version(await withL1.service.resolve(parsed)) === 2, { timeoutMs: STATE_TIMEOUT_MS });
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
