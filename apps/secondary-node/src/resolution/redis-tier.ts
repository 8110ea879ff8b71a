import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { groupBySlot, isCluster, keySlot, knownClusterNodes, type RedisClient, slotHasReplica } from '@idis/runtime/redis-client';
import type { RedisEndpoint, RedisNodeAddress } from '@idis/runtime/redis-endpoint';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import { BatchedLookup } from '@idis/runtime';
import { CircuitBreaker } from './circuit-breaker';
import { encodeInvalidation } from './invalidation-message';
import { closeRedisConnection, createRedisConnection, readyWithin } from './redis-connection';
import { decodeEntry } from './record-builder';
import type { CacheEntry } from './resolution.types';

/** Keys per DEL / per published message: a 2,000-key registry batch costs two of each. */
export const INVALIDATION_CHUNK = 1000;
/**
 * The second DEL that removes an entry a slower loader wrote back after the first DEL
 * (see ResolutionCache for the whole race guard).
 */
export const SECOND_DELETE_DELAY_MS = 1000;
/** Keys remembered while Redis is unreachable; beyond this the whole cache is flushed on recovery. */
const MAX_PENDING_KEYS = 100_000;
/** How long boot waits for Redis before carrying on without it. */
const BOOT_WAIT_MS = 2000;

/** L2 reads running at once; keys arriving meanwhile go together in the next MGET. */
const READS_IN_FLIGHT = 4;
/** Keys per MGET at most. */
const READ_BATCH_MAX_KEYS = 128;

const UNAVAILABLE = Symbol('redis unavailable');
const NOTHING: Promise<undefined> = Promise.resolve(undefined);

/** What /health shows of Redis trouble since start: the episode stays readable after it ended. */
export interface RedisEpisodes {
  /** Commands that failed or timed out (each counts towards opening the breaker). */
  commandFailures: number;
  breakerOpenings: number;
  lastFailureAt: string | null;
  lastFailure: string | null;
  lastBreakerOpenedAt: string | null;
  lastBreakerClosedAt: string | null;
}

/** One master of the cluster as the /health probe saw it. */
export interface ClusterHealth {
  status: 'up' | 'down';
  mode: 'cluster';
  /** cluster_state of CLUSTER INFO on one node: 'fail' while some slot has no master (during a failover). */
  clusterState: string;
  masters: Record<string, 'up' | 'down'>;
}
type Attempt<T> = T | typeof UNAVAILABLE;

/**
 * The L2 tier and every command this process sends to Redis, behind one circuit breaker. Nothing
 * here throws: Redis trouble degrades to "not cached" and undelivered invalidations are kept and
 * delivered when Redis answers again.
 */
@Injectable()
export class RedisTier implements OnModuleInit, OnModuleDestroy {
  /** Names this process on the invalidation channel. */
  readonly origin = randomUUID();
  /** REDIS_URL or REDIS_CLUSTER_NODES is set: invalidations are deleted and published even when this process does not use L2. */
  readonly configured: boolean;
  /** Reads and fills go to Redis. */
  readonly l2Enabled: boolean;
  readonly channelName: string;
  readonly breaker: CircuitBreaker;
  /** A Redis Cluster (REDIS_CLUSTER_NODES / redis+cluster://) rather than one server. */
  readonly clusterMode: boolean;
  readonly endpoint: RedisEndpoint;
  readonly episodes: RedisEpisodes = {
    commandFailures: 0,
    breakerOpenings: 0,
    lastFailureAt: null,
    lastFailure: null,
    lastBreakerOpenedAt: null,
    lastBreakerClosedAt: null,
  };
  /**
   * The Redis key of a record. Standalone: `<prefix>rec:<handle>`, as always. Cluster:
   * `<prefix>rec:{<enterprise prefix>}/<suffix>`, so one enterprise's records share a slot and a
   * registry batch's invalidation is one DEL; chosen once here, so the standalone hot path pays nothing.
   */
  readonly recordKey: (handleKey: string) => string;
  private readonly client: RedisClient | undefined;
  private readonly recordKeyPrefix: string;
  private readonly waitTimeoutMs: number;
  private readonly fetchEntries: (handleKeys: string[]) => Promise<Map<string, string>>;
  private readonly logger = new Logger('ResolutionRedis');
  private readonly pendingKeys = new Set<string>();
  private pendingAll = false;
  private pendingTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly secondDeletes = new Map<NodeJS.Timeout, string[]>();
  private readonly retryDelayMs: number;
  /**
   * Concurrent L2 reads share commands: at most READS_IN_FLIGHT run at once, and the keys that
   * arrive meanwhile go in the next one as an MGET. Each command costs ioredis a Command, a
   * promise and a timeout timer and Redis a request to parse, so under load this is most of an
   * L2 hit's cost; an idle node still sends a key at once.
   */
  private readonly reads = new BatchedLookup<string, string>((keys) => this.fetchEntries(keys), READS_IN_FLIGHT, READ_BATCH_MAX_KEYS);

  constructor(@Inject(RESOLUTION_CONFIG) config: ResolutionConfig) {
    const cache = config;
    this.configured = cache.redisUrl !== undefined || cache.redisCluster !== undefined;
    this.l2Enabled = this.configured && cache.l2Enabled;
    this.recordKeyPrefix = `${cache.redisKeyPrefix}rec:`;
    this.channelName = `${cache.redisKeyPrefix}invalidate`;
    this.retryDelayMs = cache.breakerCooldownMs;
    this.endpoint = { redisUrl: cache.redisUrl, redisCluster: cache.redisCluster };
    this.clusterMode = cache.redisCluster !== undefined;
    this.waitTimeoutMs = Math.max(1, Math.floor(cache.redisCommandTimeoutMs / 2));
    this.recordKey = this.clusterMode ? (handleKey) => this.taggedRecordKey(handleKey) : (handleKey) => `${this.recordKeyPrefix}${handleKey}`;
    this.fetchEntries = this.clusterMode ? (handleKeys) => this.fetchEntriesBySlot(handleKeys) : (handleKeys) => this.fetchEntriesFromOne(handleKeys);
    this.client = this.configured ? createRedisConnection(this.endpoint, 'commands', cache.redisCommandTimeoutMs, this.logger) : undefined;
    this.breaker = new CircuitBreaker({
      failureThreshold: cache.breakerFailureThreshold,
      cooldownMs: cache.breakerCooldownMs,
      probe: () => (this.client ? this.client.ping() : Promise.resolve()),
      onStateChange: (state, cause) => {
        if (state === 'open') {
          this.episodes.breakerOpenings += 1;
          this.episodes.lastBreakerOpenedAt = new Date().toISOString();
          this.logger.warn(`Redis breaker open (${describe(cause)}): resolving without L2 for the next ${cache.breakerCooldownMs} ms`);
        } else if (state === 'closed') {
          this.episodes.lastBreakerClosedAt = new Date().toISOString();
          this.logger.log('Redis breaker closed: L2 back in use');
          void this.flushPending();
        }
      },
    });
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    this.client.connect().catch(() => undefined); // failures surface as 'error'/'close' events and reconnects
    if (!(await readyWithin(this.client, BOOT_WAIT_MS))) {
      this.logger.warn(`Redis not reachable after ${BOOT_WAIT_MS} ms; resolving without L2 until it is`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.breaker.stop();
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    // A rolling restart should not skip the second DELs still due: send them now.
    const due = [...this.secondDeletes.entries()];
    this.secondDeletes.clear();
    for (const [timer] of due) clearTimeout(timer);
    for (const [, keys] of due) await this.deleteRecords(keys);
    if (this.pendingAll || this.pendingKeys.size > 0) {
      this.logger.warn(`shutting down with ${this.pendingInvalidations} invalidation(s) Redis never acknowledged; other replicas keep those L2/L1 copies until they expire`);
    }
    if (this.client) await closeRedisConnection(this.client);
  }

  status(): 'up' | 'down' | 'disabled' {
    if (!this.client) return 'disabled';
    return this.client.status === 'ready' && this.breaker.state === 'closed' ? 'up' : 'down';
  }

  /** PING on the command connection, for /health: false when Redis does not answer within the command timeout. */
  async ping(): Promise<boolean> {
    if (!this.client) return true;
    try {
      await this.client.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Keys (or "all") whose invalidation Redis has not acknowledged yet. */
  get pendingInvalidations(): number | 'all' {
    return this.pendingAll ? 'all' : this.pendingKeys.size;
  }

  /** Cluster mode: the nodes the client currently knows (masters and replicas); [] otherwise. */
  clusterNodes(): RedisNodeAddress[] {
    return this.client && isCluster(this.client) ? knownClusterNodes(this.client) : [];
  }

  /**
   * Cluster mode: every master answers PING and CLUSTER INFO says `cluster_state:ok` (it says
   * `fail` from a master's death until its replica is promoted).
   */
  async clusterHealth(): Promise<ClusterHealth | undefined> {
    if (!this.client || !isCluster(this.client)) return undefined;
    const cluster = this.client;
    const masters: Record<string, 'up' | 'down'> = {};
    const [state] = await Promise.all([
      (cluster.cluster('INFO') as Promise<string>).then((info) => /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown', () => 'unreachable'),
      ...cluster.nodes('master').map(async (node) => {
        masters[`${node.options.host}:${node.options.port}`] = await node.ping().then(
          () => 'up' as const,
          () => 'down' as const,
        );
      }),
    ]);
    const allUp = Object.values(masters).length > 0 && Object.values(masters).every((status) => status === 'up');
    return { status: allUp && state === 'ok' ? 'up' : 'down', mode: 'cluster', clusterState: state as string, masters };
  }

  /** `<prefix>rec:{<enterprise prefix>}<rest>`: the hash tag is the handle's prefix part (all of it when there is no "/"). */
  private taggedRecordKey(handleKey: string): string {
    const slash = handleKey.indexOf('/');
    return slash < 0 ? `${this.recordKeyPrefix}{${handleKey}}` : `${this.recordKeyPrefix}{${handleKey.slice(0, slash)}}${handleKey.slice(slash)}`;
  }

  /**
   * The stored text of `handleKey`'s L2 copy (decodeText makes it an entry); undefined on a miss,
   * with L2 off or Redis unavailable.
   */
  readText(handleKey: string): Promise<string | undefined> {
    return this.l2Enabled ? this.reads.load(handleKey) : NOTHING;
  }

  /** The entry `text` holds when it is a well-formed copy of `handleKey` (undefined for a foreign or malformed one). */
  decodeText(handleKey: string, text: string): CacheEntry | undefined {
    const entry = decodeEntry(text);
    return entry && entry.handleKey === handleKey ? entry : undefined;
  }

  /** The stored texts of the keys Redis holds; none when Redis is unavailable (then nothing is cached). */
  private async fetchEntriesFromOne(handleKeys: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const texts =
      handleKeys.length === 1
        ? await this.attempt(async (redis) => [await redis.get(this.recordKey(handleKeys[0]))])
        : await this.attempt((redis) => redis.mget(handleKeys.map((key) => this.recordKey(key))));
    if (texts === UNAVAILABLE) return found;
    texts.forEach((text, i) => {
      if (text !== null) found.set(handleKeys[i], text);
    });
    return found;
  }

  /**
   * Cluster mode: one MGET per slot (Redis refuses a multi-key command across slots), all at once;
   * a slot whose master is unreachable only loses its own keys to the database.
   */
  private async fetchEntriesBySlot(handleKeys: string[]): Promise<Map<string, string>> {
    if (handleKeys.length === 1) return this.fetchEntriesFromOne(handleKeys);
    const bySlot = new Map<number, string[]>();
    for (const handleKey of handleKeys) {
      const slot = keySlot(this.recordKey(handleKey));
      const group = bySlot.get(slot);
      if (group) group.push(handleKey);
      else bySlot.set(slot, [handleKey]);
    }
    if (bySlot.size === 1) return this.fetchEntriesFromOne(handleKeys);
    const found = new Map<string, string>();
    await Promise.all(
      [...bySlot.values()].map(async (group) => {
        for (const [key, text] of await this.fetchEntriesFromOne(group)) found.set(key, text);
      }),
    );
    return found;
  }

  /** Fills L2 without making the caller wait; a failure only counts towards the breaker. */
  storeEntry(handleKey: string, serialised: string, ttlSeconds: number): void {
    if (!this.l2Enabled || ttlSeconds <= 0) return;
    void this.attempt((redis) => redis.set(this.recordKey(handleKey), serialised, 'EX', ttlSeconds));
  }

  /**
   * Deletes the L2 copies and tells every replica, one DEL and one PUBLISH per chunk. Returns when
   * Redis acknowledged both, or at once when it is unavailable: then the keys are remembered and
   * sent again when Redis answers.
   */
  async invalidate(handleKeys: string[]): Promise<void> {
    if (!this.client) return;
    for (let i = 0; i < handleKeys.length; i += INVALIDATION_CHUNK) {
      const chunk = handleKeys.slice(i, i + INVALIDATION_CHUNK);
      if (!(await this.deleteAndAnnounce(chunk))) this.remember(chunk);
    }
  }

  /** Deletes every record key of this node's namespace and tells every replica to clear its L1. */
  async invalidateAll(): Promise<void> {
    if (!this.client) return;
    if (!(await this.deleteAllAndAnnounce())) {
      this.pendingAll = true;
      this.pendingKeys.clear();
      this.schedulePendingRetry();
    }
  }

  private async deleteAndAnnounce(keys: string[]): Promise<boolean> {
    const deleted = await this.deleteRecords(keys);
    if (deleted === 'failed') return false;
    const published = await this.attempt((redis) => redis.publish(this.channelName, encodeInvalidation({ origin: this.origin, keys })));
    if (published === UNAVAILABLE) return false;
    this.scheduleSecondDelete(keys);
    // Deleted on the master but no replica confirmed it yet: DEL again later, until one does.
    if (deleted === 'unreplicated') this.remember(keys);
    return true;
  }

  /**
   * DELs the records of `handleKeys`. Standalone: one DEL. Cluster mode: one DEL per slot, each
   * followed by WAIT for one replica — a master killed right after acknowledging a DEL must not
   * hand its slots to a replica that never saw it (the stale copy would come back). 'unreplicated':
   * the masters deleted, but a slot that has a replica got no confirmation in time.
   */
  private async deleteRecords(handleKeys: string[]): Promise<'deleted' | 'unreplicated' | 'failed'> {
    const keys = handleKeys.map((k) => this.recordKey(k));
    if (!this.clusterMode) return (await this.attempt((redis) => redis.del(...keys))) === UNAVAILABLE ? 'failed' : 'deleted';
    const results = await Promise.all(groupBySlot(keys).map((group) => this.attempt((redis) => this.deleteReplicated(redis as Cluster, group))));
    if (results.some((result) => result === UNAVAILABLE)) return 'failed';
    return results.every((replicated) => replicated) ? 'deleted' : 'unreplicated';
  }

  /** DEL + WAIT 1 in one pipeline to the slot's master; whether a replica confirmed (or the slot has none). */
  private async deleteReplicated(cluster: Cluster, keys: string[]): Promise<boolean> {
    const replies = await cluster.pipeline().del(...keys).wait(1, this.waitTimeoutMs).exec();
    if (!replies) throw new Error('DEL pipeline discarded');
    for (const [error] of replies) if (error) throw error;
    return (replies[1][1] as number) >= 1 || !slotHasReplica(cluster, keySlot(keys[0]));
  }

  private async deleteAllAndAnnounce(): Promise<boolean> {
    if (this.clusterMode && !(await this.deleteAllRecordsOfCluster())) return false;
    if (!this.clusterMode && !(await this.deleteAllRecordsOfOne())) return false;
    const published = await this.attempt((redis) => redis.publish(this.channelName, encodeInvalidation({ origin: this.origin, all: true })));
    return published !== UNAVAILABLE;
  }

  private async deleteAllRecordsOfOne(): Promise<boolean> {
    const pattern = `${escapeGlob(this.recordKeyPrefix)}*`;
    let cursor = '0';
    do {
      const page = await this.attempt((redis) => redis.scan(cursor, 'MATCH', pattern, 'COUNT', INVALIDATION_CHUNK));
      if (page === UNAVAILABLE) return false;
      const [next, keys] = page;
      if (keys.length > 0 && (await this.attempt((redis) => redis.unlink(...keys))) === UNAVAILABLE) return false;
      cursor = next;
    } while (cursor !== '0');
    return true;
  }

  /** SCAN runs per node: every master is scanned, and its keys UNLINKed one slot at a time. */
  private async deleteAllRecordsOfCluster(): Promise<boolean> {
    const cluster = this.client as Cluster;
    const pattern = `${escapeGlob(this.recordKeyPrefix)}*`;
    for (const master of cluster.nodes('master')) {
      let cursor = '0';
      do {
        const page = await this.attempt(() => master.scan(cursor, 'MATCH', pattern, 'COUNT', INVALIDATION_CHUNK));
        if (page === UNAVAILABLE) return false;
        const [next, keys] = page;
        for (const group of groupBySlot(keys)) {
          if ((await this.attempt((redis) => redis.unlink(...group))) === UNAVAILABLE) return false;
        }
        cursor = next;
      } while (cursor !== '0');
    }
    return true;
  }

  private scheduleSecondDelete(keys: string[]): void {
    const timer = setTimeout(() => {
      this.secondDeletes.delete(timer);
      void this.deleteRecords(keys).then((deleted) => {
        if (deleted !== 'deleted') this.remember(keys);
      });
    }, SECOND_DELETE_DELAY_MS);
    timer.unref();
    this.secondDeletes.set(timer, keys);
  }

  private remember(keys: string[]): void {
    if (!this.pendingAll) {
      for (const key of keys) this.pendingKeys.add(key);
      if (this.pendingKeys.size > MAX_PENDING_KEYS) {
        this.logger.warn(`more than ${MAX_PENDING_KEYS} invalidations undelivered; the whole cache will be flushed when Redis returns`);
        this.pendingAll = true;
        this.pendingKeys.clear();
      }
    }
    this.schedulePendingRetry();
  }

  /** Retries undelivered invalidations every cooldown, besides right when the breaker closes. */
  private schedulePendingRetry(): void {
    if (this.pendingTimer) return;
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      void this.flushPending();
    }, this.retryDelayMs);
    this.pendingTimer.unref();
  }

  private flushPending(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.pendingAll && this.pendingKeys.size === 0) return Promise.resolve();
    this.flushing = (async () => {
      if (this.pendingAll) {
        this.pendingAll = false;
        if (!(await this.deleteAllAndAnnounce())) {
          this.pendingAll = true;
          return;
        }
      }
      const keys = [...this.pendingKeys];
      this.pendingKeys.clear();
      for (let i = 0; i < keys.length; i += INVALIDATION_CHUNK) {
        const chunk = keys.slice(i, i + INVALIDATION_CHUNK);
        if (!(await this.deleteAndAnnounce(chunk))) {
          for (const key of keys.slice(i)) this.pendingKeys.add(key);
          return;
        }
      }
    })().finally(() => {
      this.flushing = undefined;
      if (this.pendingAll || this.pendingKeys.size > 0) this.schedulePendingRetry();
    });
    return this.flushing;
  }

  /**
   * Runs one command unless the breaker is open; every error (refused, dropped, timed out, or an
   * error reply such as LOADING/OOM) counts towards opening it.
   */
  private async attempt<T>(command: (redis: RedisClient) => Promise<T>): Promise<Attempt<T>> {
    if (!this.client || !this.breaker.allowsRequests) return UNAVAILABLE;
    try {
      const result = await command(this.client);
      this.breaker.recordSuccess();
      return result;
    } catch (error) {
      this.episodes.commandFailures += 1;
      this.episodes.lastFailureAt = new Date().toISOString();
      this.episodes.lastFailure = describe(error);
      this.breaker.recordFailure(error);
      return UNAVAILABLE;
    }
  }
}


function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
