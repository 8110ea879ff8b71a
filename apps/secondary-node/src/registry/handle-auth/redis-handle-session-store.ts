import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { clientReadyWithin, clusterMastersReady, createRedisClient, isCluster, type RedisClient } from '@idis/runtime/redis-client';
import type { RedisEndpoint } from '@idis/runtime/redis-endpoint';
import { DomainError } from '../../errors/domain-errors';
import { CHALLENGE_SECONDS, type HandleSession, type HandleSessionLimits, HandleSessionStore, newNonce, newSessionId, type SessionIdentity } from './handle-sessions';

/** A session as stored: one JSON string per key, its TTL the session's remaining life. */
interface StoredSession {
  nonce: string;
  createdAt: number;
  identity?: SessionIdentity;
}

/**
 * Replaces the session only if its nonce is still the one that was signed: the check and the
 * write are one step, so two replicas cannot both accept answers to one challenge.
 */
const AUTHENTICATE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if cjson.decode(raw).nonce ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const COMMAND_TIMEOUT_MS = 1000;
const CLUSTER_BOOT_WAIT_MS = 2000;

/**
 * The Handle sessions in Redis (when REDIS_URL or REDIS_CLUSTER_NODES is set; one key per session, so any cluster slot will do), so that a session opened on one replica is
 * answered and used on any other. Each session is one key whose TTL is its remaining life: an open
 * challenge lives at most CHALLENGE_SECONDS, an authenticated session the idle time, renewed at
 * every use but never past its maximum age. Redis trouble refuses the request (503); it never
 * lets one through.
 */
export class RedisHandleSessionStore extends HandleSessionStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('HandleSessions');
  private readonly redis: RedisClient;

  constructor(
    endpoint: RedisEndpoint,
    private readonly keyPrefix: string,
    private readonly limits: HandleSessionLimits,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.redis = createRedisClient(endpoint, {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      connectionName: 'idis-handle-sessions',
    });
    this.redis.on('error', () => undefined); // reconnects in the background; each command reports its own failure
  }

  /** Connects at start-up; if Redis is down the node still starts, sessions refuse until it is back. */
  async onModuleInit(): Promise<void> {
    if (isCluster(this.redis)) {
      // Cluster#connect() may never settle (see clientReadyWithin): wait for 'ready' with a bound instead.
      this.redis.connect().catch(() => undefined);
      const started = Date.now();
      const ready =
        (await clientReadyWithin(this.redis, CLUSTER_BOOT_WAIT_MS)) && (await clusterMastersReady(this.redis, CLUSTER_BOOT_WAIT_MS - (Date.now() - started)));
      if (!ready) this.logger.warn(`Redis Cluster session store not ready after ${CLUSTER_BOOT_WAIT_MS} ms; sessions refuse until it is`);
      return;
    }
    await this.redis.connect().catch((error: Error) => this.logger.warn(`Redis session store not reachable yet: ${error.message}`));
  }

  async open(): Promise<HandleSession> {
    const at = this.now();
    const session: HandleSession = { id: newSessionId(), nonce: newNonce(), createdAt: at, lastUsedAt: at };
    await this.run(() => this.redis.set(this.key(session.id), this.serialise(session.nonce, at), 'PX', this.ttlMs(at, false)));
    return session;
  }

  async find(id: string): Promise<HandleSession | undefined> {
    const raw = await this.run(() => this.redis.get(this.key(id)));
    if (raw === null) return undefined;
    const stored = JSON.parse(raw) as StoredSession;
    const ttl = this.ttlMs(stored.createdAt, stored.identity !== undefined);
    if (ttl <= 0) return undefined;
    // A use renews an authenticated session's idle time (never past its maximum age).
    if (stored.identity) await this.run(() => this.redis.pexpire(this.key(id), ttl));
    return { id, nonce: Buffer.from(stored.nonce, 'base64'), createdAt: stored.createdAt, lastUsedAt: this.now(), identity: stored.identity };
  }

  async authenticate(session: HandleSession, signedNonce: Buffer, identity: SessionIdentity): Promise<boolean> {
    const nonce = newNonce();
    const ttl = this.ttlMs(session.createdAt, true);
    if (ttl <= 0) return false;
    const replaced = await this.run(() =>
      this.redis.eval(AUTHENTICATE, 1, this.key(session.id), signedNonce.toString('base64'), this.serialise(nonce, session.createdAt, identity), String(ttl)),
    );
    if (replaced !== 1) return false;
    session.nonce = nonce;
    session.identity = identity;
    return true;
  }

  async close(id: string): Promise<boolean> {
    return (await this.run(() => this.redis.del(this.key(id)))) > 0;
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }

  private key(id: string): string {
    return `${this.keyPrefix}handle-session:${id}`;
  }

  private serialise(nonce: Buffer, createdAt: number, identity?: SessionIdentity): string {
    const stored: StoredSession = { nonce: nonce.toString('base64'), createdAt, ...(identity ? { identity } : {}) };
    return JSON.stringify(stored);
  }

  /** What is left of a session's life: its idle allowance, capped by its maximum age. */
  private ttlMs(createdAt: number, authenticated: boolean): number {
    const idle = (authenticated ? this.limits.idleSeconds : Math.min(CHALLENGE_SECONDS, this.limits.idleSeconds)) * 1000;
    return Math.min(idle, createdAt + this.limits.maxAgeSeconds * 1000 - this.now());
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.logger.warn(`Redis session store: ${(error as Error).message}`);
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'the Handle session store (Redis) is unreachable; try again, or use Authorization: Basic');
    }
  }
}
