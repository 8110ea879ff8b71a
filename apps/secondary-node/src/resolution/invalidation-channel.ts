import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { RedisEndpoint, RedisNodeAddress } from '@idis/runtime/redis-endpoint';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import { decodeInvalidation, type InvalidationMessage } from './invalidation-message';
import { closeRedisConnection, createNodeConnection, createRedisConnection, readyWithin } from './redis-connection';
import { RedisTier } from './redis-tier';

/** How often the subscriber connection is PINGed: a hung Redis keeps the socket open but delivers nothing. */
const HEARTBEAT_MS = 1000;
const BOOT_WAIT_MS = 2000;
/** Cluster mode: pause before the subscriber tries the next node, growing per failed try up to a second. */
const MOVE_DELAY_STEP_MS = 100;
const MOVE_DELAY_MAX_MS = 1000;
/** Cluster mode: consecutive unanswered PINGs after which the subscriber leaves its node for another (one slow PING on a busy machine is not a dead node). */
const PINGS_BEFORE_MOVE = 3;
/**
 * ioredis's own timeout on the subscriber's commands, only a backstop: a PING is judged by
 * pingDeadline (REDIS_COMMAND_TIMEOUT_MS) instead, see ping().
 */
const SUBSCRIBER_COMMAND_BACKSTOP_MS = 10 * HEARTBEAT_MS;

export type ChannelState = 'up' | 'down' | 'disabled';

export interface ChannelListener {
  onInvalidation(message: InvalidationMessage): void;
  /**
   * `true` once subscribed and answering; `false` as soon as messages may be missed. On
   * re-attachment `continuous` says that no message can have been missed meanwhile: the channel was
   * detached only because PINGs went unanswered, over a connection that never closed, and a Redis
   * server delivers a subscription's messages in order, before the PONG that re-attached it.
   */
  onAttachmentChange(attached: boolean, continuous: boolean): void;
}

/**
 * This process's subscription to the invalidation channel, on a connection of its own (a
 * subscribed connection can send nothing else). "Up" means subscribed on the current connection
 * AND answering PINGs; any doubt counts as "down", because while down this process may be missing
 * invalidations and must not trust its L1 for long.
 *
 * With a Redis Cluster the channel is classic pub/sub: a PUBLISH on any node reaches every node
 * over the cluster bus, so the subscriber may sit on any node, master or replica. Its connection
 * never reconnects to the same node: when that node dies (or stops answering PINGs) it moves to
 * the next node the cluster client knows, and resubscribes there. Sharded pub/sub (SSUBSCRIBE)
 * would tie the one invalidation channel to one shard's master and make a failover of that shard
 * an outage of the channel; every message must reach every replica anyway, so the broadcast costs
 * nothing sharding would save.
 */
@Injectable()
export class InvalidationChannel implements OnModuleInit, OnModuleDestroy {
  private subscriber: Redis | undefined;
  private readonly endpoint: RedisEndpoint | undefined;
  private readonly commandTimeoutMs: number;
  private moveTimer: NodeJS.Timeout | undefined;
  private failedMoves = 0;
  private nextNode = 0;
  private closing = false;
  private unansweredPings = 0;
  private readonly logger = new Logger('ResolutionInvalidation');
  private listener: ChannelListener | undefined;
  private subscribed = false;
  private responsive = false;
  private attached = false;
  /**
   * Whether the subscription may have missed a message since it was last attached: a connection
   * closed (or was replaced) meanwhile. Redis drops a subscriber that falls too far behind by
   * closing its connection, so an unbroken connection has missed nothing.
   */
  private interrupted = true;
  private heartbeat: NodeJS.Timeout | undefined;
  /** When the pending PING was sent (performance.now()); undefined when none is pending. */
  private pingSentAt: number | undefined;
  private subscribedOnce: Promise<void>;
  private markSubscribed: () => void = () => undefined;

  constructor(
    @Inject(RESOLUTION_CONFIG) config: ResolutionConfig,
    private readonly redis: RedisTier,
  ) {
    this.subscribedOnce = new Promise((resolve) => (this.markSubscribed = resolve));
    this.commandTimeoutMs = config.redisCommandTimeoutMs;
    if (!redis.configured) return;
    this.endpoint = redis.endpoint;
    this.use(redis.clusterMode ? this.nodeConnection() : (createRedisConnection(redis.endpoint, 'invalidation subscriber', SUBSCRIBER_COMMAND_BACKSTOP_MS, this.logger) as Redis));
  }

  /** Makes `connection` the subscriber; events of a connection it replaced are ignored. */
  private use(connection: Redis): void {
    this.subscriber = connection;
    this.pingSentAt = undefined;
    this.interrupted = true;
    connection.on('ready', () => {
      if (connection === this.subscriber) void this.subscribe();
    });
    connection.on('close', () => {
      if (connection !== this.subscriber) return;
      this.subscribed = false;
      this.interrupted = true;
      this.pingSentAt = undefined;
      this.update();
    });
    connection.on('message', (channel: string, text: string) => {
      if (connection !== this.subscriber || channel !== this.redis.channelName) return;
      const message = decodeInvalidation(text);
      // Our own messages: this process dropped its copies before publishing.
      if (!message || message.origin === this.redis.origin) return;
      this.listener?.onInvalidation(message);
    });
    if (this.redis.clusterMode) {
      connection.on('end', () => {
        if (connection === this.subscriber) this.moveLater();
      });
    }
  }

  /** Cluster mode: a connection to the next node the cluster client knows (or a seed). */
  private nodeConnection(): Redis {
    const candidates = uniqueNodes([...this.redis.clusterNodes(), ...(this.endpoint?.redisCluster?.nodes ?? [])]);
    const node = candidates[this.nextNode % candidates.length];
    this.nextNode += 1;
    return createNodeConnection(node, this.endpoint as RedisEndpoint, 'invalidation-subscriber', SUBSCRIBER_COMMAND_BACKSTOP_MS);
  }

  /** Cluster mode: the subscriber's node is gone; after a short pause, subscribe on another one. */
  private moveLater(): void {
    if (this.closing || this.moveTimer) return;
    const delay = Math.min(MOVE_DELAY_STEP_MS * (this.failedMoves + 1), MOVE_DELAY_MAX_MS);
    this.failedMoves += 1;
    this.moveTimer = setTimeout(() => {
      this.moveTimer = undefined;
      if (this.closing) return;
      const connection = this.nodeConnection();
      if (this.failedMoves === 1) this.logger.warn(`invalidation subscriber moves to Redis Cluster node ${connection.options.host}:${connection.options.port}`);
      this.use(connection);
      connection.connect().catch(() => undefined); // a refusal ends the connection: 'end' moves on again
    }, delay);
    this.moveTimer.unref();
  }

  get enabled(): boolean {
    return this.subscriber !== undefined;
  }

  get state(): ChannelState {
    if (!this.subscriber) return 'disabled';
    return this.attached ? 'up' : 'down';
  }

  listen(listener: ChannelListener): void {
    this.listener = listener;
  }

  async onModuleInit(): Promise<void> {
    if (!this.subscriber) return;
    this.subscriber.connect().catch(() => undefined); // failures surface as 'close' events and reconnects
    this.heartbeat = setInterval(() => this.ping(), HEARTBEAT_MS);
    this.heartbeat.unref();
    const ready = await readyWithin(this.subscriber, BOOT_WAIT_MS);
    const subscribed = ready && (await withinMs(this.subscribedOnce, BOOT_WAIT_MS));
    if (!subscribed) this.logger.warn(`not subscribed to ${this.redis.channelName} yet; L1 entries live at most the detached TTL until it is`);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.moveTimer) clearTimeout(this.moveTimer);
    this.moveTimer = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.subscriber) await closeRedisConnection(this.subscriber);
  }

  private async subscribe(): Promise<void> {
    const subscriber = this.subscriber!;
    try {
      await subscriber.subscribe(this.redis.channelName);
    } catch (error) {
      // The connection is broken or hung; 'close' or the heartbeat will tell, and 'ready' retries.
      this.logger.warn(`subscribing to ${this.redis.channelName} failed: ${(error as Error).message}`);
      return;
    }
    if (subscriber !== this.subscriber) return;
    this.subscribed = true;
    this.responsive = true;
    this.failedMoves = 0;
    this.update();
    this.markSubscribed();
  }

  /**
   * Sends a PING when none is pending, and marks the channel unresponsive when one is not answered
   * within REDIS_COMMAND_TIMEOUT_MS. That verdict waits for setImmediate, i.e. for the I/O of the
   * loop turn in which the deadline fires: when this process's own event loop was blocked (a long
   * GC, an overloaded machine) past the deadline, the PONG already sitting in the socket is read
   * first and the channel stays up. A timeout timer alone (ioredis's commandTimeout) fires before
   * that read, so every such stall used to detach the channel, and the re-attachment then cleared
   * L1 (ResolutionCache): an overloaded node lost its whole L1 when it could least afford it.
   */
  private ping(): void {
    const subscriber = this.subscriber!;
    if (this.pingSentAt !== undefined) {
      this.judgePing(subscriber);
      return;
    }
    if (!this.subscribed || subscriber.status !== 'ready') return;
    const sentAt = performance.now();
    this.pingSentAt = sentAt;
    const settle = (answered: boolean) => {
      if (this.pingSentAt !== sentAt) return;
      this.pingSentAt = undefined;
      if (answered) {
        this.responsive = true;
        this.unansweredPings = 0;
        this.update();
      } else {
        this.unanswered(subscriber);
      }
    };
    subscriber.ping().then(
      () => settle(true),
      () => settle(false),
    );
    const deadline = setTimeout(() => setImmediate(() => this.judgePing(subscriber)), this.commandTimeoutMs);
    deadline.unref();
  }

  /** The pending PING is late (see ping()): unresponsive from now until it or a later one is answered. */
  private judgePing(subscriber: Redis): void {
    if (this.pingSentAt === undefined || performance.now() - this.pingSentAt < this.commandTimeoutMs) return;
    this.unanswered(subscriber);
  }

  private unanswered(subscriber: Redis): void {
    this.responsive = false;
    this.unansweredPings += 1;
    // Cluster mode: a node that stops answering is left for another one ('end' moves on).
    if (this.redis.clusterMode && subscriber === this.subscriber && this.unansweredPings >= PINGS_BEFORE_MOVE) {
      this.unansweredPings = 0;
      this.pingSentAt = undefined;
      subscriber.disconnect();
    }
    this.update();
  }

  private update(): void {
    const attached = this.subscribed && this.responsive;
    if (attached === this.attached) return;
    this.attached = attached;
    // Cluster mode: messages reach the subscriber's node over the cluster bus, which a PING to
    // that node does not vouch for, so every re-attachment there counts as interrupted.
    const continuous = attached && !this.interrupted && !this.redis.clusterMode;
    if (attached) {
      this.interrupted = false;
      this.logger.log(`subscribed to ${this.redis.channelName}${continuous ? ' (answering again over the same connection)' : ''}`);
    } else this.logger.warn(`invalidation channel ${this.redis.channelName} down; L1 entries now live at most the detached TTL`);
    this.listener?.onAttachmentChange(attached, continuous);
  }
}

function uniqueNodes(nodes: RedisNodeAddress[]): RedisNodeAddress[] {
  const seen = new Set<string>();
  return nodes.filter(({ host, port }) => {
    const key = `${host}:${port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether `event` happens within `ms`. */
function withinMs(event: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([event.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
