import { Cluster } from 'ioredis';
import { parseHandle } from '@idis/identifier';
import { clusterMastersReady, createRedisClient, keySlot, type RedisClient } from '@idis/runtime/redis-client';
import { LimitStore } from '../../apps/secondary-node/src/limits/limit-store';
import { RedisHandleSessionStore } from '../../apps/secondary-node/src/registry/handle-auth/redis-handle-session-store';
import { RedisTier } from '../../apps/secondary-node/src/resolution/redis-tier';
import type { FoundRecord, Resolution } from '../../apps/secondary-node/src/resolution/resolution.types';
import { RedisCluster } from '../support/redis-cluster';
import { waitFor } from '../support/wait-for';
import { ResolutionDatabase, type Resolver, startResolver, stringValue, uniqueKeyPrefix } from './resolution-harness';

const CANDIDATE_PREFIXES = Array.from({ length: 40 }, (_, i) => `88.118.${100 + i}`);
const PER_ENTERPRISE = 12;

function found(resolution: Resolution): FoundRecord {
  if (resolution.entry.kind !== 'found') throw new Error(`expected a found record, got ${resolution.entry.kind}`);
  return resolution.entry;
}

/**
 * The node's Redis key layout on a real Redis Cluster (3 masters, 3 replicas, started here from
 * redis-server): one hash tag per enterprise prefix, L2 batches split per slot, invalidations per
 * slot and acknowledged by a replica, invalidation messages reaching another replica of the node,
 * SCAN per master for "invalidate all", and the rate limiter and Handle sessions on the cluster.
 */
describe('Redis Cluster key layout (real 3-master, 3-replica cluster)', () => {
  let cluster: RedisCluster;
  let db: ResolutionDatabase;
  let probe: Cluster;
  let keyPrefix: string;
  /** Three enterprise prefixes whose records live on three different masters. */
  let prefixes: string[];
  const resolvers: Resolver[] = [];

  const resolver = async (env: Record<string, string> = {}) => {
    const started = await startResolver(db.url, { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_KEY_PREFIX: keyPrefix, ...env });
    resolvers.push(started);
    return started;
  };
  const handlesOf = (prefix: string) => Array.from({ length: PER_ENTERPRISE }, (_, i) => `${prefix}/item-${i}`);
  const recordKeyOf = (handle: string) => `${keyPrefix}rec:{${handle.slice(0, handle.indexOf('/'))}}${handle.slice(handle.indexOf('/'))}`;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    keyPrefix = uniqueKeyPrefix('cluster');
    const byMaster = new Map<number, string>();
    for (const prefix of CANDIDATE_PREFIXES) {
      const master = await cluster.masterOfSlot(keySlot(`${keyPrefix}rec:{${prefix}}/x`));
      if (!byMaster.has(master.port)) byMaster.set(master.port, prefix);
    }
    prefixes = [...byMaster.values()];
    expect(prefixes).toHaveLength(3);
    db = await ResolutionDatabase.create(prefixes);
    for (const prefix of prefixes) await db.insertMany(handlesOf(prefix), [stringValue(1, 'URL', 'https://example.cn/v1')]);
    probe = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0].port }]);
  }, 120_000);

  afterAll(async () => {
    for (const started of resolvers) await started.close();
    probe?.disconnect();
    await db?.drop();
    await cluster?.stop();
  });

  it('gives one enterprise’s records one hash tag (one slot), and batches L2 reads into one MGET per slot', async () => {
    const writer = await resolver();
    const all = prefixes.flatMap(handlesOf);
    for (const handle of all) expect((await writer.service.resolve(parseHandle(handle))).tier).toBe('db');
    await waitFor('every record in L2 under its tagged key', async () => (await Promise.all(all.map((h) => probe.exists(recordKeyOf(h))))).every((n) => n === 1));
    for (const prefix of prefixes) {
      const slots = new Set(handlesOf(prefix).map((h) => keySlot(recordKeyOf(h))));
      expect(slots).toEqual(new Set([await cluster.slotOf(`{${prefix}}`)]));
    }

    const reader = await resolver({ CACHE_L1_ENABLED: 'false' });
    const spy = jest.spyOn(Cluster.prototype, 'mget');
    let mgets: string[][];
    try {
      const resolutions = await Promise.all(all.map((handle) => reader.service.resolve(parseHandle(handle))));
      expect(resolutions.map((r) => r.tier)).toEqual(all.map(() => 'l2'));
      expect(resolutions.map((r) => found(r).handle)).toEqual(all);
      mgets = spy.mock.calls.map((call) => call[0] as unknown as string[]);
    } finally {
      spy.mockRestore();
    }
    expect(reader.findForResolution).not.toHaveBeenCalled();
    // Concurrent lookups were gathered (some MGET carried several keys), and no MGET crossed slots.
    expect(mgets.some((keys) => keys.length > 1)).toBe(true);
    for (const keys of mgets) expect(new Set(keys.map(keySlot)).size).toBe(1);
    expect(reader.moduleRef.get(RedisTier).episodes.commandFailures).toBe(0);
    expect(reader.health.snapshot()).toMatchObject({ redis: 'up', redisMode: 'cluster', invalidationChannel: 'up', redisEpisodes: { commandFailures: 0, breakerOpenings: 0 } });
  }, 60_000);

  it('invalidates a batch across enterprises per slot, on the master and its replica, and tells the node’s other replicas', async () => {
    const a = await resolver();
    const b = await resolver();
    const handles = prefixes.map((prefix) => `${prefix}/item-0`);
    for (const handle of handles) {
      await b.service.resolve(parseHandle(handle));
      expect((await b.service.resolve(parseHandle(handle))).tier).toBe('l1');
    }
    await waitFor('the records in L2', async () => (await Promise.all(handles.map((h) => probe.exists(recordKeyOf(h))))).every((n) => n === 1));
    for (const handle of handles) await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/v2')]);
    await a.cache.invalidate(handles.map((h) => h.toLowerCase()));

    for (const handle of handles) {
      const key = recordKeyOf(handle);
      expect(await probe.exists(key)).toBe(0);
      // DEL then WAIT 1: the replica of the slot's master has dropped the copy too.
      const master = await cluster.masterOfSlot(keySlot(key));
      const view = await cluster.view();
      const masterId = view.find((node) => node.port === master.port)?.id;
      const replica = view.find((node) => node.masterId === masterId);
      expect(replica).toBeDefined();
      const onReplica = cluster.connection(replica!.port);
      await onReplica.call('READONLY');
      expect(await onReplica.exists(key)).toBe(0);
    }
    // B heard A's message through the cluster's pub/sub: its next answers come from the database with the new value.
    await waitFor('replica B to answer with the new values', async () => {
      const answers = await Promise.all(handles.map((handle) => b.service.resolve(parseHandle(handle))));
      return answers.every((answer) => found(answer).version === 2);
    });
    expect(a.moduleRef.get(RedisTier).episodes.commandFailures).toBe(0);
  }, 60_000);

  it('invalidates everything with a SCAN of every master', async () => {
    const writer = await resolver();
    const all = prefixes.flatMap(handlesOf);
    for (const handle of all) await writer.service.resolve(parseHandle(handle));
    await waitFor('records in L2', async () => (await Promise.all(all.map((h) => probe.exists(recordKeyOf(h))))).every((n) => n === 1));
    await writer.cache.invalidateAll();
    expect((await Promise.all(all.map((h) => probe.exists(recordKeyOf(h))))).every((n) => n === 0)).toBe(true);
    for (const master of (await cluster.view()).filter((node) => node.role === 'master')) {
      const [, left] = await cluster.connection(master.port).scan('0', 'MATCH', `${keyPrefix}rec:*`, 'COUNT', 10_000);
      expect(left).toEqual([]);
    }
  }, 60_000);

  it('reports the cluster on /health’s probe: every master up, cluster_state ok', async () => {
    const started = await resolver();
    const health = await started.moduleRef.get(RedisTier).clusterHealth();
    expect(health).toMatchObject({ status: 'up', mode: 'cluster', clusterState: 'ok' });
    expect(Object.values(health!.masters)).toEqual(['up', 'up', 'up']);
  });

  describe('rate limits and Handle sessions on the cluster', () => {
    const clients: RedisClient[] = [];
    const client = async () => {
      const redis = createRedisClient({ redisUrl: undefined, redisCluster: { nodes: cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })), username: undefined, password: undefined, tls: false } }, {
        lazyConnect: true,
        enableOfflineQueue: false,
        commandTimeout: 1000,
        maxRetriesPerRequest: 0,
      });
      clients.push(redis);
      await redis.connect();
      // As the node does (resolution/redis-connection.ts): its master connections are made once the
      // cluster is ready, and with the offline queue off a command must not race them.
      expect(await clusterMastersReady(redis as Cluster, 10_000)).toBe(true);
      return redis;
    };
    afterAll(() => clients.forEach((redis) => redis.disconnect()));

    it('shares limiter counts between two processes’ stores, keys on every master, without falling back', async () => {
      const rule = { points: 5, windowSeconds: 60 };
      const one = new LimitStore(rule, `${keyPrefix}rl:test`, await client());
      const two = new LimitStore(rule, `${keyPrefix}rl:test`, await client());
      const addresses = Array.from({ length: 12 }, (_, i) => `198.51.100.${i}`);
      expect(new Set(addresses.map((a) => keySlot(`${keyPrefix}rl:test:${a}`))).size).toBeGreaterThan(3);
      for (const address of addresses) {
        for (let i = 0; i < 3; i += 1) expect((await one.take(address, 1)).allowed).toBe(true);
        expect((await two.take(address, 2)).allowed).toBe(true);
        const refused = await two.take(address, 1);
        expect(refused).toMatchObject({ allowed: false, consumed: 5 });
      }
      expect(one.fallbacks + two.fallbacks).toBe(0);
    });

    it('opens, authenticates (a Lua script on one key) and closes Handle sessions; a stale nonce is refused', async () => {
      const limits = { idleSeconds: 600, maxAgeSeconds: 3600, maxSessions: 10 };
      const endpoint = { redisUrl: undefined, redisCluster: { nodes: [{ host: '127.0.0.1', port: cluster.nodes[1].port }], username: undefined, password: undefined, tls: false } };
      const one = new RedisHandleSessionStore(endpoint, keyPrefix, limits);
      const two = new RedisHandleSessionStore(endpoint, keyPrefix, limits);
      await Promise.all([one.onModuleInit(), two.onModuleInit()]);
      try {
        const session = await one.open();
        const seen = await two.find(session.id);
        expect(seen?.nonce.equals(session.nonce)).toBe(true);
        const identity = { principal: { kind: 'enterprise', enterpriseId: 'e-1' }, id: '300:0.NA/88.118.100', keyFingerprint: 'f'.repeat(64) } as never;
        expect(await two.authenticate(seen!, session.nonce, identity)).toBe(true);
        // The nonce signed once is spent: answering with it again is refused on either replica.
        expect(await one.authenticate(session, session.nonce, identity)).toBe(false);
        expect((await one.find(session.id))?.identity).toEqual(identity);
        expect(await one.close(session.id)).toBe(true);
        expect(await two.find(session.id)).toBeUndefined();
      } finally {
        await Promise.all([one.onApplicationShutdown(), two.onApplicationShutdown()]);
      }
    });
  });
});
