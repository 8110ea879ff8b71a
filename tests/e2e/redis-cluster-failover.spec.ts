import { randomBytes } from 'node:crypto';
import { keySlot } from '@idis/runtime/redis-client';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { type ClusterNode, RedisCluster } from '../support/redis-cluster';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { waitFor } from '../support/wait-for';

const PREFIX = '88.118.8';
const IDENTIFIERS = 40;
/** Concurrent resolution loops (half on each replica). */
const WORKERS = 6;
/** The load stops after this many requests or when told, whichever comes first. */
const MAX_REQUESTS = 60_000;
const MAX_LOAD_MS = 120_000;
/** Load before the kill, and after the failover has settled (the cluster says ok and /health too). */
const LOAD_BEFORE_KILL_MS = 2000;
const LOAD_AFTER_SETTLE_MS = 3000;
/** A write must be visible on both replicas within this once Redis is healthy again (pub/sub delivery, generous). */
const VISIBLE_BOUND_MS = 2000;

function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  return request(base, method, path, { body, token, redirect: 'follow', requireJson: true });
}

interface LoadTally {
  total: number;
  failed: number;
  failures: string[];
  /** During the kill: from SIGKILL until the failover settled. */
  duringKill: { total: number; failed: number };
}

/**
 * Two secondary-node processes on one PostgreSQL and a real Redis Cluster (3 masters, 3
 * replicas, started here): replica A without L1 (every resolution asks L2), replica B with L1
 * (it relies on the invalidation channel). Under a bounded resolution load, the master holding
 * the enterprise's slot is SIGKILLed and its replica promoted: no resolution fails (the breaker
 * sends them to PostgreSQL), writes made during and after the episode are never answered stale
 * once the failover has settled, and /health shows the episode (degraded, then ok, with counts).
 */
describe('Redis Cluster failover under load (node processes, real 3-master 3-replica cluster)', () => {
  let cluster: RedisCluster;
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  let baseA: string;
  let baseB: string;
  let operator: string;
  let token: string;
  let keyPrefix: string;
  /** The master of the enterprise's slot: killed in the test, and the first seed, so both replicas' invalidation subscribers start on it and must move. */
  let victim: ClusterNode;
  let slot: number;
  const handles = Array.from({ length: IDENTIFIERS }, (_, i) => `${PREFIX}/fo-${i}`);

  const health = async (base: string) => (await call(base, 'GET', '/health', undefined, operator)).body;
  const valueOn = async (base: string, handle: string) => {
    const reply = await call(base, 'GET', `/api/handles/${handle}`);
    return reply.status === 200 ? (reply.body.values[0].data.value as string) : `HTTP ${reply.status}`;
  };

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
    db = await createTestDatabase('e2e');
    keyPrefix = `e2e-${randomBytes(4).toString('hex')}:`;
    slot = keySlot(`${keyPrefix}rec:{${PREFIX}}/fo-0`);
    victim = await cluster.masterOfSlot(slot);
    const seeds = [victim, ...cluster.nodes.filter((node) => node !== victim)].map((node) => `127.0.0.1:${node.port}`).join(',');
    const env = {
      DATABASE_URL: db.url,
      REDIS_CLUSTER_NODES: seeds,
      REDIS_KEY_PREFIX: keyPrefix,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      // The limiter counts through the cluster too (limits far above this test's load).
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMIT_RESOLUTION: '1000000/1s',
      RATE_LIMIT_AUTHENTICATED: '1000000/1s',
    };
    a = NodeProcess.spawn({ ...env, NODE_ID: 'cluster-a', CACHE_L1_ENABLED: 'false' });
    b = NodeProcess.spawn({ ...env, NODE_ID: 'cluster-b' });
    [baseA, baseB] = await Promise.all([a.ready(), b.ready()]);
    operator = (await call(baseA, 'POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken;
    const application = await call(baseA, 'POST', '/api/v1/enterprises/applications', applicationBody(PREFIX, 'clustered'));
    await call(baseA, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {}, operator);
    token = (await call(baseA, 'POST', '/api/v1/auth/token', { username: 'clustered', password: 'enterprise-pass-1' })).body.accessToken;
    for (const handle of handles) {
      expect((await call(baseA, 'PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: `https://${handle.replace('/', '-')}.example.cn/v0` }], token)).status).toBe(200);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await cluster?.stop();
  });

  it('refuses to start with a cluster list that does not parse: exit code 2 and one line naming the variable', async () => {
    const refused = NodeProcess.spawn({ DATABASE_URL: db.url, REDIS_CLUSTER_NODES: `${cluster.seeds},127.0.0.1`, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1' });
    expect(await refused.exited).toBe(2);
    expect(refused.output).toContain('REDIS_CLUSTER_NODES must be a comma-separated list of host:port: "127.0.0.1" is not host:port');
    const both = NodeProcess.spawn({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: cluster.seeds, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1' });
    expect(await both.exited).toBe(2);
    expect(both.output).toContain('REDIS_CLUSTER_NODES names a Redis Cluster but REDIS_URL a standalone Redis');
  });

  it('boots in cluster mode: /health ok, the cluster and its three masters up', async () => {
    for (const base of [baseA, baseB]) {
      const body = await health(base);
      expect(body).toMatchObject({ status: 'ok', checks: { redis: { status: 'up', mode: 'cluster', clusterState: 'ok' }, cache: { redisMode: 'cluster', redis: 'up', invalidationChannel: 'up' }, rateLimitStore: { status: 'up' } } });
      expect(Object.values(body.checks.redis.masters)).toEqual(['up', 'up', 'up']);
    }
  });

  it('keeps resolving while the master of the enterprise’s slot is SIGKILLed and its replica promoted; no stale answer afterwards', async () => {
    // Warm both replicas' caches: every record in L2 (on the master about to die) and in B's L1.
    for (const handle of handles) {
      expect((await call(baseA, 'GET', `/api/handles/${handle}`)).status).toBe(200);
      expect((await call(baseB, 'GET', `/api/handles/${handle}`)).status).toBe(200);
    }

    const tally: LoadTally = { total: 0, failed: 0, failures: [], duringKill: { total: 0, failed: 0 } };
    let phase = 'before' as 'before' | 'kill' | 'after';
    let stop = false;
    const startedAt = Date.now();
    const worker = async (index: number) => {
      const base = index % 2 === 0 ? baseA : baseB;
      let i = index;
      while (!stop && tally.total < MAX_REQUESTS && Date.now() - startedAt < MAX_LOAD_MS) {
        const handle = handles[i % handles.length];
        i += WORKERS;
        const inKill = phase === 'kill';
        tally.total += 1;
        if (inKill) tally.duringKill.total += 1;
        let failure: string | undefined;
        try {
          const reply = await request(base, 'GET', `/api/handles/${handle}`);
          if (reply.status !== 200) failure = `${handle} on ${base === baseA ? 'A' : 'B'}: HTTP ${reply.status} ${reply.text.slice(0, 200)}`;
        } catch (error) {
          failure = `${handle}: ${(error as Error).message}`;
        }
        if (failure) {
          tally.failed += 1;
          if (inKill) tally.duringKill.failed += 1;
          if (tally.failures.length < 20) tally.failures.push(failure);
        }
      }
    };
    // /health of A, sampled through the episode.
    const statuses: string[] = [];
    /** What /health said whenever it was not ok after the failover had settled (for the record). */
    const lateTrouble: string[] = [];
    const sampler = (async () => {
      while (!stop && Date.now() - startedAt < MAX_LOAD_MS) {
        const body = await health(baseA);
        const status = body.status as string;
        if (phase === 'after' && status !== 'ok' && lateTrouble.length < 5) {
          lateTrouble.push(JSON.stringify({ redis: body.checks.redis, cache: { ...body.checks.cache, l1: undefined } }));
        }
        if (statuses[statuses.length - 1] !== status) statuses.push(status);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const load = Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));

    // Writes during the episode, through A: each acknowledged write must win in the end.
    const written = new Map<string, string>();
    const writeFailures: string[] = [];
    const write = async (handle: string, value: string) => {
      const reply = await call(baseA, 'PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: value }], token);
      if (reply.status === 200) written.set(handle, value);
      else writeFailures.push(`${handle}: HTTP ${reply.status}`);
    };

    let settledAfterMs = 0;
    let promotedPort = 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_KILL_MS));
      phase = 'kill';
      const killedAt = Date.now();
      await cluster.kill(victim);
      let version = 0;
      const writer = (async () => {
        while (phase === 'kill') {
          version += 1;
          await write(handles[version % 5], `https://during-${version}.example.cn`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const promoted = await cluster.waitForFailover(slot, victim.port, 60_000);
      expect(promoted.port).not.toBe(victim.port);
      promotedPort = promoted.port;
      settledAfterMs = Date.now() - killedAt;
      phase = 'after';
      await writer;
      await waitFor('both replicas’ /health back to ok after the failover', async () => (await health(baseA)).status === 'ok' && (await health(baseB)).status === 'ok', {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_SETTLE_MS));
    } finally {
      stop = true;
      await load;
      await sampler;
    }

    // The figures of the episode, for the record.
    process.stdout.write(
      `Redis Cluster failover: ${tally.failed}/${tally.total} resolutions failed in all, ${tally.duringKill.failed}/${tally.duringKill.total} from SIGKILL until the failover settled (${settledAfterMs} ms); /health of A went ${statuses.join(' -> ')}; ${written.size} writes during the kill, ${writeFailures.length} refused${lateTrouble.length ? `; /health after the settle: ${lateTrouble.join(' | ')}` : ''}\n`,
    );
    expect(tally.failures).toEqual([]);
    expect(tally.failed).toBe(0);
    expect(tally.duringKill.total).toBeGreaterThan(0);
    expect(writeFailures).toEqual([]);
    expect(written.size).toBeGreaterThan(0);

    // /health showed the episode: degraded during it, ok once it is over, with counts since start.
    expect(statuses).toContain('degraded');
    const after = await waitFor('A’s /health ok after the episode', async () => {
      const body = await health(baseA);
      return body.status === 'ok' ? body : false;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(after.checks.cache.redisEpisodes.commandFailures).toBeGreaterThan(0);
    expect(after.checks.cache.redisEpisodes.breakerOpenings).toBeGreaterThan(0);
    expect(after.checks.cache.redisEpisodes.lastBreakerClosedAt).not.toBeNull();
    expect(after.checks.cache).toMatchObject({ redis: 'up', breaker: 'closed', invalidationChannel: 'up' });
    expect(Object.keys(after.checks.redis.masters)).not.toContain(`127.0.0.1:${victim.port}`);
    expect(after.checks.redis.masters[`127.0.0.1:${promotedPort}`]).toBe('up');

    // Both replicas' invalidation subscribers sat on the killed node and moved to another one.
    for (const node of [a, b]) expect(node.output).toContain('invalidation subscriber moves to Redis Cluster node');

    // Writes acknowledged during the kill: both replicas answer the last one (pending invalidations were delivered).
    for (const [handle, value] of written) {
      await waitFor(`${handle} = ${value} on both replicas`, async () => (await valueOn(baseA, handle)) === value && (await valueOn(baseB, handle)) === value, {
        timeoutMs: 15_000,
      });
    }
    // A write once the failover has settled: visible on both within the bound, and never an old answer after.
    for (let round = 1; round <= 5; round += 1) {
      const handle = handles[10 + round];
      const value = `https://after-${round}.example.cn`;
      await write(handle, value);
      const acknowledged = Date.now();
      await waitFor(`${handle} new value on both replicas`, async () => (await valueOn(baseA, handle)) === value && (await valueOn(baseB, handle)) === value, {
        timeoutMs: VISIBLE_BOUND_MS,
        intervalMs: 10,
      });
      const stale: string[] = [];
      while (Date.now() - acknowledged < VISIBLE_BOUND_MS) {
        for (const base of [baseA, baseB]) {
          const got = await valueOn(base, handle);
          if (got !== value) stale.push(`${handle} on ${base === baseA ? 'A' : 'B'}: ${got}`);
        }
      }
      expect(stale).toEqual([]);
    }
    expect(writeFailures).toEqual([]);
  }, 300_000);
});
