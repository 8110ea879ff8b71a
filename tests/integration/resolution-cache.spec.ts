import { decodeEntry, encodeEntry } from '../../apps/secondary-node/src/resolution/record-builder';
import type { Provider } from '@nestjs/common';
import Redis from 'ioredis';
import { parseHandle } from '@idis/identifier';
import { SECOND_DELETE_DELAY_MS } from '../../apps/secondary-node/src/resolution/redis-tier';
import { EventHub } from '../../apps/secondary-node/src/events/event-hub';
import type { CacheEntry, FoundRecord } from '../../apps/secondary-node/src/resolution/resolution.types';
import { IdentifierRepository } from '../../apps/secondary-node/src/registry/identifier.repository';
import { waitForElapsed } from '../support/wait-for';
import { ResolutionDatabase, type Resolver, startResolver, stringValue, uniqueKeyPrefix } from './resolution-harness';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = '88.118.8';

describe('resolution service and its caches (real PostgreSQL and Redis)', () => {
  const keyPrefix = uniqueKeyPrefix('resolution');
  const env = { REDIS_URL, REDIS_KEY_PREFIX: keyPrefix };
  let db: ResolutionDatabase;
  let redis: Redis;
  const started: Resolver[] = [];
  let counter = 0;

  /** A handle nobody else in this file uses. */
  const fresh = (label: string) => `${PREFIX}/${label}-${++counter}`;
  const recKey = (handle: string) => `${keyPrefix}rec:${handle.toLowerCase()}`;
  // The L2 fill is not awaited by resolve() (and goes out with the next auto-pipelined write).
  const storedInL2 = (handle: string) => waitForElapsed('the L2 fill', async () => (await redis.exists(recKey(handle))) === 1, { timeoutMs: 15_000 });
  const resolver = async (extraEnv: Record<string, string> = {}, providers: Provider[] = []) => {
    const r = await startResolver(db.url, { ...env, ...extraEnv }, providers);
    started.push(r);
    return r;
  };
  const found = (entry: CacheEntry): FoundRecord => {
    if (entry.kind !== 'found') throw new Error(`expected a record, got ${JSON.stringify(entry)}`);
    return entry;
  };

  let main: Resolver;

  beforeAll(async () => {
    db = await ResolutionDatabase.create([PREFIX]);
    redis = new Redis(REDIS_URL);
    main = await resolver();
  });

  afterAll(async () => {
    for (const r of started) await r.close();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await db.drop();
  });

  describe('tiers', () => {
    it('answers from PostgreSQL first, then from L1; with L1 off from L2; with both off always from PostgreSQL', async () => {
      const handle = fresh('Tiers');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/a')]);
      const parsed = parseHandle(handle);

      const first = await main.service.resolve(parsed);
      expect(first.tier).toBe('db');
      expect(found(first.entry).handle).toBe(handle);
      const second = await main.service.resolve(parseHandle(handle.toLowerCase()));
      expect(second.tier).toBe('l1');
      expect(second.entry).toEqual(first.entry);
      await storedInL2(handle);
      expect(decodeEntry((await redis.get(recKey(handle)))!)).toEqual(first.entry);

      const l2Only = await resolver({ CACHE_L1_ENABLED: 'false' });
      const fromL2 = await l2Only.service.resolve(parsed);
      expect(fromL2.tier).toBe('l2');
      expect(fromL2.entry).toEqual(first.entry);
      expect(l2Only.findForResolution).not.toHaveBeenCalled();
      expect((await l2Only.service.resolve(parsed)).tier).toBe('l2');
      expect(l2Only.health.snapshot().l1).toMatchObject({ enabled: false, entries: 0 });

      const databaseOnly = await resolver({ CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' });
      expect((await databaseOnly.service.resolve(parsed)).tier).toBe('db');
      expect((await databaseOnly.service.resolve(parsed)).tier).toBe('db');
      expect(databaseOnly.findForResolution).toHaveBeenCalledTimes(2);
    });

    it('works without Redis at all: L1 only, health says disabled', async () => {
      const noRedis = await resolver({ REDIS_URL: '' });
      const handle = fresh('NoRedis');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/n')]);
      expect((await noRedis.service.resolve(parseHandle(handle))).tier).toBe('db');
      expect((await noRedis.service.resolve(parseHandle(handle))).tier).toBe('l1');
      expect(noRedis.health.snapshot()).toMatchObject({ redis: 'disabled', breaker: 'closed', invalidationChannel: 'disabled', l2: { enabled: false } });
      await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/n2')]);
      await noRedis.cache.invalidate([handle]);
      const after = await noRedis.service.resolve(parseHandle(handle));
      expect(after.tier).toBe('db');
      expect(found(after.entry).version).toBe(2);
    });
  });

  describe('the cached record', () => {
    it('holds every value ordered by index, a strong etag that follows changes, and only public values in publicValuesJson', async () => {
      const handle = fresh('Perms');
      await db.insert(handle, [
        stringValue(300, 'SECRET', 'admin-only', { permissions: '1100' }),
        stringValue(2, 'EMAIL', 'public@example.cn'),
        stringValue(100, 'HS_ADMIN_LIKE', 'no-read-at-all', { permissions: '0000' }),
        stringValue(1, 'URL', 'https://example.cn/p', { permissions: '0010' }),
        stringValue(7, 'PRICE', 'write-only-public', { permissions: '1101' }),
      ]);
      const record = found((await main.service.resolve(parseHandle(handle))).entry);
      expect(record.values.map((v) => v.index)).toEqual([1, 2, 7, 100, 300]);
      // Handle.Net key order again, whatever jsonb did to it.
      expect(Object.keys(record.values[1])).toEqual(['index', 'type', 'data', 'ttl', 'timestamp']);
      const shown = JSON.parse(record.publicValuesJson) as Array<{ index: number }>;
      expect(shown.map((v) => v.index)).toEqual([1, 2]);
      for (const secret of ['admin-only', 'no-read-at-all', 'write-only-public']) expect(record.publicValuesJson).not.toContain(secret);
      expect(record.etag).toMatch(/^1-[0-9]+$/);
      expect(record).toMatchObject({ prefixKey: PREFIX, version: 1, templateVersion: null, ttlSeconds: 86400 });

      // The copy in L2 is the same full record; public filtering never depends on the tier.
      const l2Only = await resolver({ CACHE_L1_ENABLED: 'false' });
      const viaL2 = await l2Only.service.resolve(parseHandle(handle));
      expect(viaL2.tier).toBe('l2');
      expect(found(viaL2.entry).publicValuesJson).toBe(record.publicValuesJson);

      await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/p', { permissions: '0010' })]);
      await main.cache.invalidate([handle]);
      const changed = found((await main.service.resolve(parseHandle(handle))).entry);
      expect(changed.version).toBe(2);
      expect(changed.etag).not.toBe(record.etag);
    });
  });

  describe('lifetime follows the values’ TTLs', () => {
    it('caches for the shortest relative TTL in L1 and L2', async () => {
      const handle = fresh('Ttl120');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/t', { ttl: 3600 }), stringValue(2, 'EMAIL', 'x@example.cn', { ttl: 120 })]);
      const record = found((await main.service.resolve(parseHandle(handle))).entry);
      expect(record.ttlSeconds).toBe(120);
      await storedInL2(handle);
      const pttl = await redis.pttl(recKey(handle));
      expect(pttl).toBeGreaterThan(110_000);
      expect(pttl).toBeLessThanOrEqual(120_000);
    });

    it('caps long TTLs at 172800 s', async () => {
      const handle = fresh('TtlLong');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/l', { ttl: 2_000_000 })]);
      expect(found((await main.service.resolve(parseHandle(handle))).entry).ttlSeconds).toBe(172800);
      await storedInL2(handle);
      expect(await redis.ttl(recKey(handle))).toBeGreaterThan(172700);
    });

    it('counts an absolute TTL from now', async () => {
      const handle = fresh('TtlAbsolute');
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 90_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/abs', { ttl: expiresAt })]);
      const record = found((await main.service.resolve(parseHandle(handle))).entry);
      expect(record.ttlSeconds).toBeGreaterThanOrEqual(88);
      expect(record.ttlSeconds).toBeLessThanOrEqual(90);
      await storedInL2(handle);
      expect(await redis.ttl(recKey(handle))).toBeLessThanOrEqual(90);
      expect((await main.service.resolve(parseHandle(handle))).tier).toBe('l1');
    });

    it('never caches a record with TTL 0 or with an absolute TTL in the past, in either tier', async () => {
      for (const ttl of [0, '2020-01-01T00:00:00Z']) {
        const handle = fresh('TtlZero');
        await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/z'), stringValue(2, 'EMAIL', 'z@example.cn', { ttl })]);
        const calls = main.findForResolution.mock.calls.length;
        expect((await main.service.resolve(parseHandle(handle))).tier).toBe('db');
        expect((await main.service.resolve(parseHandle(handle))).tier).toBe('db');
        expect(main.findForResolution.mock.calls.length - calls).toBe(2);
        expect(await redis.exists(recKey(handle))).toBe(0);
      }
    });

    it('lets an entry expire from L1 and L2 when its TTL is over', async () => {
      const handle = fresh('TtlOne');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/one', { ttl: 1 })]);
      expect((await main.service.resolve(parseHandle(handle))).tier).toBe('db');
      expect((await main.service.resolve(parseHandle(handle))).tier).toBe('l1');
      // Only the expiry is asserted, so the wait for it is generous.
      await waitForElapsed('the 1 s entry to expire', async () => (await main.service.resolve(parseHandle(handle))).tier === 'db', { timeoutMs: 15_000 });
    });

    it('does not let an L1 copy taken from L2 outlive the L2 entry', async () => {
      const handle = fresh('TtlFromL2');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/r', { ttl: 60 })]);
      const loader = await resolver({ CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' });
      const record = found((await loader.service.resolve(parseHandle(handle))).entry);
      // As another replica would have stored it 59.5 s ago: 0.5 s of its 60 s are left.
      record.loadedAt = Date.now() - 59_500;
      await redis.set(recKey(handle), encodeEntry(record), 'PX', 500);
      expect((await main.service.resolve(parseHandle(handle))).tier).toBe('l2');
      expect((await main.service.resolve(parseHandle(handle))).tier).toBe('l1');
      // Gone with the L2 entry (0.5 s), long before a copy given a lifetime of its own (60 s) would be.
      await waitForElapsed('the L1 copy to expire', async () => (await main.service.resolve(parseHandle(handle))).tier !== 'l1', { timeoutMs: 15_000 });
    });
  });

  describe('L1 bounds', () => {
    it('holds the entry limit, and does not let newcomers read no more often displace the entries admitted before them (W-TinyLFU)', async () => {
      // 3 entries: a window of 1 and a main region of 2.
      const small = await resolver({ CACHE_L1_MAX_ENTRIES: '3' });
      const handles = [fresh('Lru'), fresh('Lru'), fresh('Lru'), fresh('Lru'), fresh('Lru')];
      for (const handle of handles) await db.insert(handle, [stringValue(1, 'URL', `https://example.cn/${handle}`)]);
      for (const handle of handles) await small.service.resolve(parseHandle(handle));
      // Every record is in L2 (written after the answer), so a miss of L1 below is an L2 hit.
      for (const handle of handles) await storedInL2(handle);
      expect(small.health.snapshot().l1.entries).toBe(3);
      // The latest is in the window; the first two hold the main region: each later newcomer, read
      // once like them, lost the admission tie and was evicted (from L1; it is still in L2).
      expect((await small.service.resolve(parseHandle(handles[4]))).tier).toBe('l1');
      expect((await small.service.resolve(parseHandle(handles[0]))).tier).toBe('l1');
      expect((await small.service.resolve(parseHandle(handles[1]))).tier).toBe('l1');
      expect((await small.service.resolve(parseHandle(handles[2]))).tier).toBe('l2');
      expect(small.health.snapshot().l1.entries).toBe(3);
    });

    it('evicts beyond the byte limit (entries weigh their heap footprint), admitting a newcomer once it is read more often than the resident', async () => {
      // One of these records weighs about 2 KB (its strings, two-byte where needed, its parsed values
      // and fixed overhead: l1-weight.ts), so one fits in 4 KB and two do not.
      const tight = await resolver({ CACHE_L1_MAX_BYTES: '4096' });
      const handles = [fresh('Bytes'), fresh('Bytes'), fresh('Bytes'), fresh('Bytes'), fresh('Bytes')];
      for (const handle of handles) await db.insert(handle, [stringValue(1, 'DESC', 'x'.repeat(300)), stringValue(2, 'URL', `https://example.cn/${handle}`)]);
      for (const handle of handles) await tight.service.resolve(parseHandle(handle));
      for (const handle of handles) await storedInL2(handle);
      const { l1 } = tight.health.snapshot();
      expect(l1.bytes).toBeLessThanOrEqual(4096);
      expect(l1.bytes).toBeGreaterThan(1500);
      expect(l1.entries).toBe(1);
      // The first one stays: every newcomer was read once, as often as it.
      expect((await tight.service.resolve(parseHandle(handles[0]))).tier).toBe('l1');
      // The last one, read again: 2 reads against 2, still refused; a third read beats the resident.
      expect((await tight.service.resolve(parseHandle(handles[4]))).tier).toBe('l2');
      expect((await tight.service.resolve(parseHandle(handles[4]))).tier).toBe('l2');
      expect((await tight.service.resolve(parseHandle(handles[4]))).tier).toBe('l1');
      expect((await tight.service.resolve(parseHandle(handles[0]))).tier).toBe('l2');
      expect(tight.health.snapshot().l1.bytes).toBeLessThanOrEqual(4096);
    });
  });

  describe('coalescing', () => {
    it('answers 20 concurrent misses for one identifier with one PostgreSQL query', async () => {
      const handle = fresh('Herd');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/herd')]);
      const before = main.findForResolution.mock.calls.length;
      const answers = await Promise.all(Array.from({ length: 20 }, () => main.service.resolve(parseHandle(handle))));
      expect(main.findForResolution.mock.calls.length - before).toBe(1);
      for (const answer of answers) {
        expect(answer.tier).toBe('db');
        expect(answer.entry).toBe(answers[0].entry);
      }
    });

    it('coalesces with both caches off and for unknown identifiers too', async () => {
      const uncached = await resolver({ CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' });
      const handle = fresh('HerdMissing');
      const answers = await Promise.all(Array.from({ length: 20 }, () => uncached.service.resolve(parseHandle(handle))));
      expect(uncached.findForResolution).toHaveBeenCalledTimes(1);
      expect(answers.every((a) => a.entry.kind === 'missing')).toBe(true);
    });
  });

  describe('not found', () => {
    it('is cached for the negative TTL in both tiers and evicted when the identifier is created', async () => {
      const handle = fresh('Later');
      const parsed = parseHandle(handle);
      const miss = await main.service.resolve(parsed);
      expect(miss).toMatchObject({ tier: 'db', entry: { kind: 'missing', handleKey: parsed.key, prefixKey: PREFIX } });
      expect((await main.service.resolve(parsed)).tier).toBe('l1');
      await storedInL2(handle);
      const ttl = await redis.ttl(recKey(handle));
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);

      const replica = await resolver();
      expect((await replica.service.resolve(parsed)).tier).toBe('l2');
      expect((await replica.service.resolve(parsed)).tier).toBe('l1');

      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/later')]);
      await main.cache.invalidate([parsed.key]);
      const created = await main.service.resolve(parsed);
      expect(created.tier).toBe('db');
      expect(found(created.entry).handle).toBe(handle);
      await waitForElapsed('the replica to see the new identifier', async () => (await replica.service.resolve(parsed)).entry.kind === 'found', { timeoutMs: 10_000 });
    });

    it('expires after CACHE_NEGATIVE_TTL_SECONDS, and is not cached at all with 0', async () => {
      const brief = await resolver({ CACHE_NEGATIVE_TTL_SECONDS: '1', CACHE_L2_ENABLED: 'false' });
      const handle = fresh('Brief');
      expect((await brief.service.resolve(parseHandle(handle))).tier).toBe('db');
      expect((await brief.service.resolve(parseHandle(handle))).tier).toBe('l1');
      // Well under the 30 s default, so it is the configured 1 s that applies.
      await waitForElapsed('the negative entry to expire', async () => (await brief.service.resolve(parseHandle(handle))).tier === 'db', { timeoutMs: 10_000 });

      const never = await resolver({ CACHE_NEGATIVE_TTL_SECONDS: '0' });
      const other = fresh('Never');
      expect((await never.service.resolve(parseHandle(other))).tier).toBe('db');
      expect((await never.service.resolve(parseHandle(other))).tier).toBe('db');
      expect(await redis.exists(recKey(other))).toBe(0);
    });
  });

  describe('invalidation', () => {
    it('removes the L1 and L2 copies so the next answer is the new record', async () => {
      const handle = fresh('Changed');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/v1')]);
      await main.service.resolve(parseHandle(handle));
      await storedInL2(handle);

      await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/v2')]);
      // Spelled as the registry may pass it: keys are lower-cased by invalidate.
      await main.cache.invalidate([handle.toUpperCase()]);
      expect(await redis.exists(recKey(handle))).toBe(0);
      const after = await main.service.resolve(parseHandle(handle));
      expect(after.tier).toBe('db');
      expect(found(after.entry).values[0].data.value).toBe('https://example.cn/v2');
    });

    it('evicts another replica’s L1 through the channel within a bounded time', async () => {
      const replica = await resolver();
      expect(replica.health.snapshot().invalidationChannel).toBe('up');
      const handle = fresh('Replicated');
      const parsed = parseHandle(handle);
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/r1')]);
      await main.service.resolve(parsed);
      await replica.service.resolve(parsed);
      expect((await replica.service.resolve(parsed)).tier).toBe('l1');

      await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/r2')]);
      await main.cache.invalidate([parsed.key]);
      const delay = await waitForElapsed(
        'the replica to answer the new version',
        async () => found((await replica.service.resolve(parsed)).entry).version === 2,
        { timeoutMs: 1000 },
      );
      expect(delay).toBeLessThan(1000);
      const settled = await replica.service.resolve(parsed);
      expect(found(settled.entry).version).toBe(2);
    });

    it('handles a 2,500-key batch in chunks, removing every L2 key and every L1 copy', async () => {
      const handles = Array.from({ length: 2500 }, () => fresh('Batch'));
      await db.insertMany(handles, [stringValue(1, 'URL', 'https://example.cn/batch')]);
      const sample = [handles[0], handles[1500], handles[2499]];
      for (const handle of sample) await main.service.resolve(parseHandle(handle));
      // The rest only in L2, as another replica would have filled it.
      const pipeline = redis.pipeline();
      for (const handle of handles) pipeline.set(recKey(handle), 'stale', 'EX', 600);
      await pipeline.exec();

      await main.cache.invalidate(handles.map((h) => h.toLowerCase()));
      const remaining = await redis.exists(...handles.map(recKey));
      expect(remaining).toBe(0);
      for (const handle of sample) expect((await main.service.resolve(parseHandle(handle))).tier).toBe('db');
    });

    it('invalidateAll empties L1, this node’s L2 namespace and the replicas’ L1', async () => {
      const replica = await resolver();
      const handle = fresh('All');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/all')]);
      await main.service.resolve(parseHandle(handle));
      await replica.service.resolve(parseHandle(handle));
      expect((await replica.service.resolve(parseHandle(handle))).tier).toBe('l1');
      const unrelated = `${keyPrefix}other`;
      await redis.set(unrelated, 'kept');

      await main.cache.invalidateAll();
      expect(await redis.keys(`${keyPrefix}rec:*`)).toEqual([]);
      expect(await redis.get(unrelated)).toBe('kept');
      expect(main.health.snapshot().l1.entries).toBe(0);
      await waitForElapsed('the replica to drop its L1', () => replica.health.snapshot().l1.entries === 0, { timeoutMs: 1000 });
    });
  });

  describe('race between a load and an invalidation', () => {
    it('a load that read the old row before the write fills neither tier, and later requests do not join it', async () => {
      const handle = fresh('Race');
      const parsed = parseHandle(handle);
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/old')]);

      // The first load reads the old row, then stalls before filling the caches.
      let release!: () => void;
      const stalled = new Promise<void>((resolve) => (release = resolve));
      let reachedStall!: () => void;
      const readOldRow = new Promise<void>((resolve) => (reachedStall = resolve));
      const repository = main.moduleRef.get(IdentifierRepository);
      const original = IdentifierRepository.prototype.findForResolution.bind(repository);
      main.findForResolution.mockImplementationOnce(async (...args) => {
        const row = await original(...args);
        reachedStall();
        await stalled;
        return row;
      });
      const slowLoad = main.service.resolve(parsed);
      await readOldRow;

      await db.update(handle, [stringValue(1, 'URL', 'https://example.cn/new')]);
      await main.cache.invalidate([parsed.key]);

      // A request after the write must not share the stale load (which is still stalled).
      const afterWrite = await Promise.race([
        main.service.resolve(parsed),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('joined the stalled load')), 2000).unref()),
      ]);
      expect(afterWrite.tier).toBe('db');
      expect(found(afterWrite.entry).version).toBe(2);

      release();
      expect(found((await slowLoad).entry).version).toBe(1);
      const next = await main.service.resolve(parsed);
      expect(found(next.entry).version).toBe(2);
      const stored = await redis.get(recKey(handle));
      expect(stored === null || (decodeEntry(stored) as FoundRecord).version === 2).toBe(true);
    });

    it('a stale L2 write that lands just after the invalidation is removed by the second DEL', async () => {
      const handle = fresh('LateWrite');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/late')]);
      const stale = found((await main.service.resolve(parseHandle(handle))).entry);
      await main.cache.invalidate([stale.handleKey]);
      // What a slower replica's load, which read the row before the write, would do now.
      await redis.set(recKey(handle), JSON.stringify(stale), 'EX', 600);
      const took = await waitForElapsed('the stale L2 entry to be deleted', async () => (await redis.exists(recKey(handle))) === 0, { timeoutMs: SECOND_DELETE_DELAY_MS + 1000 });
      expect(took).toBeGreaterThan(SECOND_DELETE_DELAY_MS / 2);
    });
  });

  describe('observer and health', () => {
    it('delivers front-door observations to a listener of another module through the event hub', async () => {
      const seen: Array<[string, string, number, string]> = [];
      const hub = main.moduleRef.get(EventHub);
      const unsubscribe = hub.onSignal('resolution.observed', (prefixKey, outcome, seconds, door) => seen.push([prefixKey, outcome, seconds, door]));
      hub.signal('resolution.observed', PREFIX, 'l1', 0.00002, 'handle_rest');
      hub.signal('resolution.observed', PREFIX, 'not_found', 0.001, 'proxy');
      unsubscribe();
      expect(seen).toEqual([
        [PREFIX, 'l1', 0.00002, 'handle_rest'],
        [PREFIX, 'not_found', 0.001, 'proxy'],
      ]);
      // Without a listener a signal is a no-op.
      expect(() => hub.signal('resolution.observed', PREFIX, 'db', 0.001, 'snms')).not.toThrow();
      expect(seen).toHaveLength(2);
    });

    it('reports Redis, breaker, channel and L1 size, also as metrics cache stats', async () => {
      const handle = fresh('Health');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/h')]);
      await main.service.resolve(parseHandle(handle));
      const snapshot = main.health.snapshot();
      expect(snapshot).toMatchObject({ redis: 'up', breaker: 'closed', invalidationChannel: 'up', l2: { enabled: true }, pendingInvalidations: 0 });
      expect(snapshot.l1.entries).toBeGreaterThan(0);
      expect(snapshot.l1.bytes).toBeGreaterThan(snapshot.l1.entries * 100);
      const stats = main.health.cacheStats();
      expect(stats).toEqual({ l1Entries: snapshot.l1.entries, l1Bytes: snapshot.l1.bytes, redisBreaker: 'closed' });
    });

    it('passes a PostgreSQL failure to the caller, caches nothing, and recovers on the next call', async () => {
      const handle = fresh('DbError');
      await db.insert(handle, [stringValue(1, 'URL', 'https://example.cn/e')]);
      main.findForResolution.mockRejectedValueOnce(new Error('connection terminated'));
      await expect(main.service.resolve(parseHandle(handle))).rejects.toThrow('connection terminated');
      expect(await redis.exists(recKey(handle))).toBe(0);
      expect((await main.service.resolve(parseHandle(handle))).tier).toBe('db');
    });
  });
});
