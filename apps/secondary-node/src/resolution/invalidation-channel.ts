import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import { decodeInvalidation, type InvalidationMessage } from './invalidation-message';
import { closeRedisConnection, createRedisConnection, readyWithin } from './redis-connection';
import { RedisTier } from './redis-tier';

/** How often the subscriber connection is PINGed: a hung Redis keeps the socket open but delivers nothing. */
const HEARTBEAT_MS = 1000;
const BOOT_WAIT_MS = 2000;

export type ChannelState = 'up' | 'down' | 'disabled';

export interface ChannelListener {
  onInvalidation(message: InvalidationMessage): void;
  /** `true` once subscribed and answering; `false` as soon as messages may be missed. */
  onAttachmentChange(attached: boolean): void;
}

/**
 * This process's subscription to the invalidation channel, on a connection of its own (a
 * subscribed connection can send nothing else). "Up" means subscribed on the current connection
 * AND answering PINGs; any doubt counts as "down", because while down this process may be missing
 * invalidations and must not trust its L1 for long.
 */
@Injectable()
export class InvalidationChannel implements OnModuleInit, OnModuleDestroy {
  private readonly subscriber: Redis | undefined;
  private readonly logger = new Logger('ResolutionInvalidation');
  private listener: ChannelListener | undefined;
  private subscribed = false;
  private responsive = false;
  private attached = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private pingInFlight = false;
  private subscribedOnce: Promise<void>;
  private markSubscribed: () => void = () => undefined;

  constructor(
    @Inject(RESOLUTION_CONFIG) config: ResolutionConfig,
    private readonly redis: RedisTier,
  ) {
    this.subscribedOnce = new Promise((resolve) => (this.markSubscribed = resolve));
    const url = config.redisUrl;
    if (url === undefined) return;
    this.subscriber = createRedisConnection(url, 'invalidation subscriber', config.redisCommandTimeoutMs, this.logger);
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.update();
    });
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.redis.channelName) return;
      const message = decodeInvalidation(text);
      // Our own messages: this process dropped its copies before publishing.
      if (!message || message.origin === this.redis.origin) return;
      this.listener?.onInvalidation(message);
    });
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
    this.heartbeat = setInterval(() => void this.ping(), HEARTBEAT_MS);
    this.heartbeat.unref();
    const ready = await readyWithin(this.subscriber, BOOT_WAIT_MS);
    const subscribed = ready && (await withinMs(this.subscribedOnce, BOOT_WAIT_MS));
    if (!subscribed) this.logger.warn(`not subscribed to ${this.redis.channelName} yet; L1 entries live at most the detached TTL until it is`);
  }

  async onModuleDestroy(): Promise<void> {
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
    this.subscribed = true;
    this.responsive = true;
    this.update();
    this.markSubscribed();
  }

  private async ping(): Promise<void> {
    const subscriber = this.subscriber!;
    if (!this.subscribed || this.pingInFlight || subscriber.status !== 'ready') return;
    this.pingInFlight = true;
    try {
      await subscriber.ping();
      this.responsive = true;
    } catch {
      this.responsive = false;
    } finally {
      this.pingInFlight = false;
    }
    this.update();
  }

  private update(): void {
    const attached = this.subscribed && this.responsive;
    if (attached === this.attached) return;
    this.attached = attached;
    if (attached) this.logger.log(`subscribed to ${this.redis.channelName}`);
    else this.logger.warn(`invalidation channel ${this.redis.channelName} down; L1 entries now live at most the detached TTL`);
    this.listener?.onAttachmentChange(attached);
  }
}

/** Whether `event` happens within `ms`. */
function withinMs(event: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([event.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
