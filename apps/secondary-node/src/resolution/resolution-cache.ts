import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { handleLookupKey } from '@idis/identifier';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import { InvalidationChannel } from './invalidation-channel';
import type { InvalidationMessage } from './invalidation-message';
import { L1Cache } from './l1-cache';
import { encodeEntry } from './record-builder';
import { ReadReplicas } from '../read-replicas/read-replicas';
import { RedisTier } from './redis-tier';
import type { CacheEntry, Resolution } from './resolution.types';

/** A load in progress that requests for the same key join. */
interface Flight {
  loading: Promise<Resolution>;
}

/** Reads the record (or its absence) from the source of truth. */
export type RecordLoader = (handleKey: string, prefixKey: string) => Promise<CacheEntry>;

/**
 * How long per-key invalidation marks are kept. A load still running after this can no longer be
 * checked against them, so it fills nothing (see `mayFill`).
 */
const INVALIDATION_MEMORY_MS = 10_000;

/**
 * The two cache tiers in front of PostgreSQL, with their invalidation.
 *
 * Race guard — a load that started before an invalidation and finishes after it must not put the
 * old record back into a cache:
 *
 * - L1: every invalidation (local, or received on the channel) takes the next number of a
 *   sequence and marks its keys with it; a load remembers the sequence number current when it
 *   started and fills nothing if its key was marked later (or everything was flushed later).
 *   Marks are kept INVALIDATION_MEMORY_MS; a load older than the marks it can be checked
 *   against fills nothing either. An invalidation also detaches the key's in-flight load, so a
 *   request arriving after the write never joins a load that may have read the old row.
 * - L2: the same check stops this process's own stale fill, and a replica hears of another's
 *   write through the channel within milliseconds. What remains is a replica whose load read the
 *   old row just before the commit and whose SET reaches Redis just after the writer's DEL; for
 *   that, the writer sends a second DEL SECOND_DELETE_DELAY_MS (1 s) later. We chose this over a
 *   version check because a check needs the current version, i.e. a PostgreSQL read per fill or
 *   a Lua script (not portable to Redis Cluster), while the delayed DEL is one more command per
 *   written batch, off the request path. Residual risk: a loader stalled more than 1 s between
 *   reading PostgreSQL and writing Redis while its channel was also silent; a process whose
 *   channel is down skips L2 fills altogether for that reason.
 */
@Injectable()
export class ResolutionCache implements OnModuleDestroy {
  private sequence = 0;
  /** Key → sequence number of its latest invalidation (kept INVALIDATION_MEMORY_MS). */
  private readonly invalidatedAt = new Map<string, number>();
  private readonly invalidationLog: Array<{ sequence: number; at: number; keys: string[] }> = [];
  /** Loads that started before this sequence number may not fill at all. */
  private fillFloor = 0;
  private readonly inflight = new Map<string, Flight>();
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly negativeTtlSeconds: number;
  private readonly detachedTtlMs: number;

  constructor(
    @Inject(RESOLUTION_CONFIG) config: ResolutionConfig,
    private readonly l1: L1Cache,
    private readonly redis: RedisTier,
    private readonly channel: InvalidationChannel,
    /** DATABASE_READ_URLS: an invalidated key is read from the primary until the replicas have replayed past its write. */
    @Optional() private readonly replicas?: ReadReplicas,
  ) {
    this.negativeTtlSeconds = config.negativeTtlSeconds;
    this.detachedTtlMs = config.l1DetachedTtlSeconds * 1000;
    // Until the subscription is confirmed this process may miss invalidations.
    if (channel.enabled) l1.limitAge(this.detachedTtlMs);
    channel.listen({
      onInvalidation: (message) => this.applyRemote(message),
      onAttachmentChange: (attached, continuous) => this.onAttachmentChange(attached, continuous),
    });
    this.pruneTimer = setInterval(() => this.prune(), INVALIDATION_MEMORY_MS / 2);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Drops the cached copies of `handleKeys` (lookup keys; spelled handles are lower-cased here)
   * in this process, in Redis, and through the channel in every replica. Call it after every
   * committed write that changes, creates or deletes a record. Never throws: when Redis is
   * unavailable the keys are delivered once it answers again.
   */
  async invalidate(handleKeys: readonly string[]): Promise<void> {
    if (handleKeys.length === 0) return;
    const keys = [...new Set(handleKeys.map(handleLookupKey))];
    this.forget(keys);
    await this.redis.invalidate(keys);
  }

  /** Drops every cached record here, in Redis (this node's key namespace) and in every replica. */
  async invalidateAll(): Promise<void> {
    this.forgetAll();
    await this.redis.invalidateAll();
  }

  /**
   * Bumped by every invalidation this process applies (its own writes, other replicas' through the
   * channel, a flush). A copy of an answer made at sequence s (e.g. a prepared reply of a binary
   * front door) is still current while the sequence is s, or while `changedSince(key, s)` is false.
   */
  get invalidationSequence(): number {
    return this.sequence;
  }

  /** Whether `handleKey` may have changed since `sequence` (conservative: forgotten marks count as changes). */
  changedSince(handleKey: string, sequence: number): boolean {
    return this.fillFloor > sequence || (this.invalidatedAt.get(handleKey) ?? 0) > sequence;
  }

  /** Whether answers may be kept in memory right now: L1 is on and not limited to young entries (channel down). */
  get memoryTrusted(): boolean {
    return this.l1.enabled && !this.l1.ageLimited;
  }

  /** The L1 answer for `handleKey`, if any: no promise, no allocation on the hot path. */
  fromMemory(handleKey: string): Resolution | undefined {
    return this.l1.get(handleKey);
  }

  /**
   * Everything after an L1 miss: L2, then `loadRecord`, then filling the tiers. Concurrent calls
   * for one key share one load.
   */
  load(handleKey: string, prefixKey: string, loadRecord: RecordLoader): Promise<Resolution> {
    const pending = this.inflight.get(handleKey);
    if (pending) return pending.loading;
    const flight: Flight = { loading: undefined as unknown as Promise<Resolution> };
    this.inflight.set(handleKey, flight);
    flight.loading = this.loadThroughTiers(handleKey, prefixKey, this.sequence, loadRecord, flight);
    return flight.loading;
  }

  /**
   * `flight` is this load's entry in `inflight`, removed here when the load ends unless an
   * invalidation already detached it (a later load for the key may have taken its place). Removed
   * in a finally rather than by a reaction on the promise: an L2 hit is mostly such bookkeeping.
   */
  private async loadThroughTiers(handleKey: string, prefixKey: string, startedAt: number, loadRecord: RecordLoader, flight: Flight): Promise<Resolution> {
    try {
      if (this.redis.l2Enabled) {
        const text = await this.redis.readText(handleKey);
        const shared = text === undefined ? undefined : this.redis.decodeText(handleKey, text);
        if (shared) {
          if (this.mayFill(handleKey, startedAt)) this.l1.set(shared, this.remainingLifetimeMs(shared));
          return { entry: shared, tier: 'l2' };
        }
      }
      const entry = await loadRecord(handleKey, prefixKey);
      const ttlSeconds = this.lifetimeSeconds(entry);
      if (ttlSeconds > 0 && (this.l1.enabled || this.redis.l2Enabled) && this.mayFill(handleKey, startedAt)) {
        const serialised = encodeEntry(entry);
        this.l1.set(entry, ttlSeconds * 1000);
        // While our channel is down we could miss the invalidation that makes this copy stale.
        if (this.channel.state !== 'down') this.redis.storeEntry(handleKey, serialised, ttlSeconds);
      }
      return { entry, tier: 'db' };
    } finally {
      if (this.inflight.get(handleKey) === flight) this.inflight.delete(handleKey);
    }
  }

  private lifetimeSeconds(entry: CacheEntry): number {
    return entry.kind === 'found' ? entry.ttlSeconds : this.negativeTtlSeconds;
  }

  /** An L2 copy must not outlive the lifetime it was given when it was read from PostgreSQL. */
  private remainingLifetimeMs(entry: CacheEntry): number {
    const lifetimeMs = this.lifetimeSeconds(entry) * 1000;
    return Math.min(lifetimeMs, lifetimeMs - (Date.now() - entry.loadedAt));
  }

  private mayFill(handleKey: string, startedAt: number): boolean {
    return startedAt >= this.fillFloor && (this.invalidatedAt.get(handleKey) ?? 0) <= startedAt;
  }

  private forget(keys: string[]): void {
    // First: a load started from here on must not read the old row from a replica that has not replayed the write.
    this.replicas?.noteWrite(keys);
    const sequence = ++this.sequence;
    for (const key of keys) {
      this.invalidatedAt.set(key, sequence);
      this.l1.delete(key);
      this.inflight.delete(key);
    }
    this.invalidationLog.push({ sequence, at: performance.now(), keys });
  }

  private forgetAll(): void {
    this.replicas?.noteWriteAll();
    this.fillFloor = ++this.sequence;
    this.l1.clear();
    this.inflight.clear();
  }

  private applyRemote(message: InvalidationMessage): void {
    if ('all' in message) this.forgetAll();
    else this.forget(message.keys.map(handleLookupKey));
  }

  private onAttachmentChange(attached: boolean, continuous: boolean): void {
    if (attached) {
      // Invalidations published while we were detached may be lost: nothing in L1 can be trusted,
      // unless the subscription never broke (a slow Redis, not a lost connection): then every
      // message published meanwhile was delivered before the PONG that re-attached the channel.
      // Clearing then would drop the whole L1 of a node that is overloaded, when it can least afford it.
      if (!continuous) this.forgetAll();
      this.l1.limitAge(undefined);
    } else {
      this.l1.limitAge(this.detachedTtlMs);
    }
  }

  private prune(): void {
    const horizon = performance.now() - INVALIDATION_MEMORY_MS;
    let dropped = 0;
    while (dropped < this.invalidationLog.length && this.invalidationLog[dropped].at < horizon) {
      const { sequence, keys } = this.invalidationLog[dropped];
      for (const key of keys) {
        if (this.invalidatedAt.get(key) === sequence) this.invalidatedAt.delete(key);
      }
      this.fillFloor = Math.max(this.fillFloor, sequence);
      dropped += 1;
    }
    if (dropped > 0) this.invalidationLog.splice(0, dropped);
  }
}
