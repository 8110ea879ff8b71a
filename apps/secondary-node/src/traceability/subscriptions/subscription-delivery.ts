import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { retryDelayMs } from '@idis/runtime';
import { AccountRepository } from '../../auth/account.repository';
import type { Principal } from '../../auth/principal';
import { EventHub } from '../../events/event-hub';
import type { CommittedEvents } from '../../events/node-events';
import { isVisible, TraceabilityAccess, type VisiblePrefixes } from '../grants/traceability-access.service';
import type { EventFilter } from '../query/event-query';
import { EPCIS_CONTEXT } from '../query/query-document';
import { EventFeed } from './event-feed';
import { compareEventToPosition, comparePositions, compileFilter, type EventPredicate, type FeedEvent, type FeedPosition, positionOf } from './event-matcher';
import type { FeedAdvance } from './event-feed';
import { SubscriptionIndex } from './subscription-index';
import { deliveryId, NamedQueriesService, parseDefinition } from './named-queries.service';
import { SubscriptionsRepository, type SubscriptionRow } from './subscriptions.repository';
import { SUBSCRIPTIONS_CONFIG, type SubscriptionsConfig } from './subscriptions.config';
import { WebhookSender, type WebhookOutcome } from './webhook-sender';

/** How one subscription's deliveries leave the node: a webhook POST, or a WebSocket message. */
export interface Transport {
  /** Sends one EPCISQueryDocument; resolves once the receiver acknowledged it (2xx; a WebSocket: written to the socket), or why not. */
  send(body: Buffer, events: FeedEvent[], firstEventId: string): Promise<WebhookOutcome>;
  /** The receiver took everything up to `cursor` (`delivered` events): make it durable. False: stop, this replica no longer delivers it. */
  acknowledged(cursor: FeedPosition, delivered: number): Promise<boolean>;
  /** A failed delivery, to be retried after `delayMs`. */
  failed(attempts: number, delayMs: number, reason: string): Promise<void>;
}

/** One subscription this replica delivers. */
export interface Channel {
  key: string;
  queryName: string;
  subscriptionId: string;
  filter: EventFilter;
  subscriber: Principal;
  cursor: FeedPosition;
  attempts: number;
  notBefore: number;
  transport: Transport;
  busy: boolean;
  closed: boolean;
  /** When the cursor was last made durable while nothing matched (idle progress is saved every few seconds). */
  savedAt: number;
  /** Events passed over (not matching) since the cursor was last saved. */
  passedOver: number;
  /**
   * When the oldest matching event that no delivery has taken yet was queued (0: none waits): a
   * delivery that is not full goes out EPCIS_SUBSCRIPTION_LINGER_MS after it, whatever the
   * channel did meanwhile (a delivery in flight, its acknowledgement, a tick).
   */
  pendingSince: number;
  /** The filter compiled once (compileFilter). */
  matches: EventPredicate;
  /**
   * Up to date (the feed's cache covers its position): the matching events in (cursor,
   * queuedUpTo], handed over by every advance through the index. Null: it reads its backlog
   * from the feed (the database) until it has caught up.
   */
  queue: FeedEvent[] | null;
  queuedUpTo: FeedPosition;
  /** Whether the feed's cache was asked to reach back to this channel since it last left the index (once is enough). */
  extendTried: boolean;
}

/** What this replica's delivery loop did since it started (read by /metrics). */
export interface DeliveryStats {
  /** Deliveries the receiver acknowledged (HTTP 2xx; a WebSocket: written). */
  deliveries: number;
  /** Events those deliveries carried. */
  eventsDelivered: number;
  /** Deliveries that failed (no answer, not 2xx) and wait for a retry. */
  failures: number;
  /** Reads of a subscriber's read scope (once per subscriber and feed advance that delivers). */
  scopeReads: number;
}

/** A subscription's newest position waiting to be written, the events delivered since the last write, and who waits for it. */
interface PendingAck {
  id: string;
  cursor: FeedPosition;
  delivered: number;
  waiters: Array<{ done: (held: boolean) => void; fail: (error: Error) => void }>;
}

/** Fields the delivery loop sets on a channel itself. */
type OwnFields = 'key' | 'busy' | 'closed' | 'savedAt' | 'passedOver' | 'pendingSince' | 'attempts' | 'notBefore' | 'matches' | 'queue' | 'queuedUpTo' | 'extendTried';

const CLAIM_LIMIT = 10_000;
const IDLE_SAVE_MS = 3_000;
/** Deliveries one subscription makes in a row before others get their turn. */
const STEPS_PER_RUN = 20;
/** Two ticks start at least this far apart (latency stays well under a second; reads stay few). */
const MIN_TICK_GAP_MS = 50;
/**
 * Positions acknowledged within this are written with one statement. Deliveries do not wait for
 * it (the next one goes out meanwhile); a crash loses at most this much of positions, whose
 * events go out once more.
 */
const ACK_GROUP_MS = 100;
/** A subscription with more matching events waiting than this (a receiver that is down) reads them from the database instead. */
const MAX_QUEUED = 10_000;

/**
 * Pushes new events of named queries to their subscribers, once each and in record-time order.
 *
 * Every replica runs this loop: it takes the delivery lease of webhook subscriptions that nobody
 * holds (SubscriptionsRepository.claim, FOR UPDATE SKIP LOCKED, renewed every few seconds), so
 * each subscription is delivered by one replica at a time; a WebSocket subscription is delivered
 * by the replica that holds its connection. It wakes up when this replica committed events
 * (signal `epcis.events-committed`) and every EPCIS_SUBSCRIPTION_POLL_MS for the others'.
 *
 * Matching is done once per event, at the feed's advance, not once per subscription and read:
 * the subscriptions that are up to date are filed in an index (subscription-index.ts) by a
 * condition of their filter; each new event is offered to the few its values select, whose
 * compiled predicates (compileFilter) decide, and queued on those that match. A subscription that
 * lags (a receiver that was down, a restart) reads its backlog from the database until it has
 * caught up with the feed's cache, then joins the index.
 *
 * One delivery carries at most EPCIS_SUBSCRIPTION_MAX_IN_FLIGHT events and is the only one
 * outstanding for its subscription; the position moves (durably, for webhooks) only after the
 * receiver acknowledged, so a receiver that is down gets the backlog, from the database, when it
 * returns, and a restart resumes from the last acknowledged position. The caller's read scope is
 * computed again before every delivery: a revoked grant stops delivery of that enterprise's events
 * at once. Ingestion never calls this: it only signals that it committed.
 */
@Injectable()
export class SubscriptionDelivery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EpcisSubscriptions');
  readonly replica = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly channels = new Map<string, Channel>();
  readonly stats: DeliveryStats = { deliveries: 0, eventsDelivered: 0, failures: 0, scopeReads: 0 };
  private readonly index = new SubscriptionIndex<Channel>();
  private readonly sender: WebhookSender;
  private timer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  private tickAgain = false;
  private nextClaimAt = 0;
  private lastTickAt = 0;
  private currentTick: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly unsubscribe: Array<() => void> = [];
  private scopes: { generation: number; bySubscriber: Map<string, Promise<VisiblePrefixes>> } = { generation: -1, bySubscriber: new Map() };
  /** Batches the store committed, handed to the feed in the next turn (takeCommitted). */
  private committedBatches: CommittedEvents[] = [];
  /** Positions waiting to be written together (one UPDATE for all of a moment), the latest per subscription. */
  private pendingAcks = new Map<string, PendingAck>();
  private ackTimer: NodeJS.Timeout | undefined;
  /** The UPDATE running now: one at a time, so a subscription's positions are written in order. */
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly feed: EventFeed,
    private readonly repository: SubscriptionsRepository,
    private readonly queries: NamedQueriesService,
    private readonly access: TraceabilityAccess,
    private readonly accounts: AccountRepository,
    private readonly hub: EventHub,
    @Inject(SUBSCRIPTIONS_CONFIG) private readonly config: SubscriptionsConfig,
  ) {
    this.sender = new WebhookSender(config.webhookTimeoutMs, config.allowPrivateTargets);
  }

  onApplicationBootstrap(): void {
    this.unsubscribe.push(
      this.hub.onSignal('epcis.events-committed', (batch) => {
        // Taken over once the store's caller has acknowledged the batch (the PUBACKs of an MQTT
        // batch, an HTTP answer): building the feed's events is not on that path. Before any later
        // I/O is handled, so before an advance could count this transaction (and if one did, it
        // would wait one advance for it, as for any signal on its way).
        if (this.committedBatches.push(batch) === 1) setImmediate(() => this.takeCommitted());
      }),
    );
    this.unsubscribe.push(this.feed.onAdvance((advance) => this.match(advance)));
    this.unsubscribe.push(
      this.queries.onSubscriptionCreated(() => {
        this.nextClaimAt = 0;
        this.wake();
      }),
    );
    this.unsubscribe.push(this.queries.onQueryDeleted(() => (this.nextClaimAt = 0)));
    this.timer = setInterval(() => this.wake(0), this.config.pollMs);
    this.timer.unref();
    this.wake(0);
  }

  /** The batches committed since the last turn, handed to the feed. */
  private takeCommitted(): void {
    const batches = this.committedBatches;
    this.committedBatches = [];
    for (const batch of batches) {
      try {
        this.feed.publish(batch);
      } catch (error) {
        // The store has committed: the feed reads the batch back instead.
        this.logger.warn(`committed events not taken from memory: ${(error as Error).message}`);
      }
    }
    this.wake();
  }

  /** Before the database closes (TypeORM closes it on application shutdown): stop, finish what runs, save positions, hand the leases back. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe) off();
    clearInterval(this.timer);
    clearTimeout(this.wakeTimer);
    await this.currentTick;
    await Promise.allSettled([...this.running]);
    try {
      // All at once: they are written together, with one statement.
      const saving: Array<Promise<boolean>> = [];
      for (const channel of this.channels.values()) {
        if (channel.key.startsWith('webhook:') && !channel.closed) saving.push(channel.transport.acknowledged(channel.cursor, 0));
      }
      await Promise.all(saving);
      await this.repository.release(this.replica);
    } catch (error) {
      this.logger.warn(`could not give the subscription leases back: ${(error as Error).message}`);
    }
    this.sender.close();
  }

  /** A WebSocket subscription delivered by this replica until `remove` is called or its transport refuses. */
  addStream(channel: Omit<Channel, OwnFields>): { channel: Channel; remove: () => void } {
    const full: Channel = {
      ...channel,
      key: `stream:${randomUUID()}`,
      busy: false,
      closed: false,
      savedAt: Date.now(),
      passedOver: 0,
      pendingSince: 0,
      attempts: 0,
      notBefore: 0,
      matches: compileFilter(channel.filter),
      queue: null,
      queuedUpTo: channel.cursor,
      extendTried: false,
    };
    this.channels.set(full.key, full);
    this.wake();
    return {
      channel: full,
      remove: () => this.drop(full),
    };
  }

  /**
   * Runs a tick soon (coalesced): after a commit here, or when the poll timer fires. Ticks start at
   * most every MIN_TICK_GAP_MS, so a stream of small commits costs a few reads per second, not one each.
   */
  wake(delayMs = 5): void {
    if (this.stopped || this.wakeTimer) return;
    const wait = Math.max(delayMs, this.lastTickAt + MIN_TICK_GAP_MS - Date.now());
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      void this.tick();
    }, wait);
  }

  private tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.currentTick;
    }
    this.ticking = true;
    this.currentTick = this.tickNow();
    return this.currentTick;
  }

  private async tickNow(): Promise<void> {
    if (this.stopped) {
      this.ticking = false;
      return;
    }
    this.lastTickAt = Date.now();
    try {
      if (Date.now() >= this.nextClaimAt) await this.claimWebhooks();
      if (this.channels.size === 0) {
        // No webhook claimed and no WebSocket open here: committed events are not read back at all.
        this.feed.idle();
        return;
      }
      await this.feed.advance();
      const now = Date.now();
      for (const channel of this.channels.values()) {
        if (!channel.busy && !channel.closed && channel.notBefore <= now && hasWork(channel, now)) this.start(channel);
      }
    } catch (error) {
      this.logger.warn(`subscription tick failed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
      if (this.tickAgain) {
        this.tickAgain = false;
        this.wake();
      }
    }
  }

  private start(channel: Channel): void {
    channel.busy = true;
    const run = this.run(channel)
      .catch((error: Error) => this.logger.warn(`subscription ${channel.subscriptionId}: ${error.message}`))
      .finally(() => {
        channel.busy = false;
        this.running.delete(run);
      });
    this.running.add(run);
  }

  private async run(channel: Channel): Promise<void> {
    for (let step = 0; step < STEPS_PER_RUN && !channel.closed && !this.stopped; step += 1) {
      if (!(await this.step(channel))) return;
    }
    this.wake();
  }

  /**
   * Hands the events an advance made final to the up-to-date subscriptions they match: each event
   * to the candidates the index selects, queued in record-time order on those whose predicate holds.
   * Runs in the same turn as the feed's generation moves on (see scopeOf).
   */
  private match(advance: FeedAdvance): void {
    if (this.index.size > 0) {
      const now = Date.now();
      for (const event of advance.events) {
        const candidates = this.index.candidates(event);
        if (candidates.length === 0) continue;
        for (const channel of candidates) {
          if (channel.queue !== null && compareEventToPosition(event, channel.queuedUpTo) > 0 && channel.matches(event)) {
            channel.queue.push(event);
            if (channel.pendingSince === 0) channel.pendingSince = now;
          }
        }
      }
    }
    for (const channel of this.channels.values()) {
      if (channel.queue === null) continue;
      if (comparePositions(advance.end, channel.queuedUpTo) > 0) channel.queuedUpTo = advance.end;
      if (channel.queue.length === 0 && !channel.busy && comparePositions(channel.queuedUpTo, channel.cursor) > 0) {
        // Nothing matched: the position passes over (saved every IDLE_SAVE_MS by a run, see hasWork).
        channel.cursor = channel.queuedUpTo;
        channel.passedOver += 1;
        continue;
      }
      // A receiver that is down would make the queue grow without end: it reads from the database instead.
      if (channel.queue.length > MAX_QUEUED) this.toBacklog(channel);
    }
  }

  /** Joins the index when the feed's cache covers the channel's position (its matching cached events are queued). */
  private catchUp(channel: Channel): void {
    // A channel dropped while one of its runs was under way stays out: nothing would ever deliver its queue.
    if (channel.closed) return;
    const tail = this.feed.tail(channel.cursor);
    if (!tail) return;
    channel.queue = tail.events.filter(channel.matches);
    channel.queuedUpTo = tail.upTo;
    this.index.add(channel, channel.filter);
  }

  /** Leaves the index: the channel reads from the feed (the database) again. */
  private toBacklog(channel: Channel): void {
    channel.queue = null;
    channel.extendTried = false;
    this.index.remove(channel);
  }

  /** One delivery (or one stretch of non-matching events passed over). True when more may be waiting. */
  private async step(channel: Channel): Promise<boolean> {
    // A subscription just before the cache (new, or the feed was idle) has the cache extended back
    // to it, one read for all of them, instead of each reading the database.
    if (channel.queue === null && !channel.extendTried && this.feed.tail(channel.cursor) === null) {
      channel.extendTried = true;
      await this.feed.extendBack(channel.cursor);
    }
    const generation = this.feed.generation();
    if (channel.queue === null) this.catchUp(channel);
    let candidates: FeedEvent[];
    let upTo: FeedPosition;
    let behind = false;
    let scanned = 0;
    if (channel.queue !== null) {
      // Taken in this turn, with the generation: every queued event was final when it began.
      candidates = channel.queue.slice();
      upTo = channel.queuedUpTo;
    } else {
      const slice = await this.feed.scan(channel.cursor);
      const horizon = this.feed.horizon();
      behind = horizon !== null && comparePositions(slice.upTo, horizon) < 0;
      candidates = slice.events.filter(channel.matches);
      upTo = slice.upTo;
      scanned = slice.events.length;
    }
    // The scope is read after the events were (see scopeOf), so a revoked grant takes effect at once.
    const visible = candidates.length === 0 ? 'all' : await this.scopeOf(channel.subscriber, generation);
    const allowed = candidates.filter((event) => isVisible(visible, event.enterprisePrefix));
    if (allowed.length === 0) {
      if (comparePositions(upTo, channel.cursor) > 0) {
        this.moveTo(channel, upTo);
        channel.passedOver += Math.max(1, scanned);
      }
      // Passing over events that do not match is saved now and then (a restart would read them again, nothing more).
      if (channel.passedOver > 0 && Date.now() - channel.savedAt > IDLE_SAVE_MS) {
        channel.passedOver = 0;
        channel.savedAt = Date.now();
        if (!(await channel.transport.acknowledged(channel.cursor, 0))) this.drop(channel);
      }
      return behind;
    }
    // A delivery that is not full waits a little for more (one POST of 20 events instead of 20
    // POSTs): until its oldest event was recorded the linger ago, so what waited longer before it
    // was queued (a slow commit, the feed's horizon) goes sooner; and at the latest the linger
    // after it was queued (should the database's clock run ahead of this one).
    if (allowed.length < this.config.maxInFlight && !behind) {
      const now = Date.now();
      if (channel.pendingSince === 0) channel.pendingSince = now;
      const due = deliveryDue(channel.pendingSince, allowed[0].recordTimeMicros, this.config.lingerMs);
      if (now < due) {
        channel.notBefore = due;
        // Delivered when the linger ends, not at the next tick after it.
        const timer = setTimeout(() => {
          if (!this.stopped && !channel.busy && !channel.closed && channel.notBefore <= Date.now()) this.start(channel);
        }, due - now);
        timer.unref();
        return false;
      }
    }
    // Events queued from now on start a linger of their own (match() sets it again).
    const lingeredSince = channel.pendingSince;
    channel.pendingSince = 0;
    const batch = allowed.slice(0, this.config.maxInFlight);
    const cursor = allowed.length > batch.length ? positionOf(batch[batch.length - 1]) : upTo;
    const body = subscriptionDocumentBytes(channel.queryName, channel.subscriptionId, batch);
    const outcome = await channel.transport.send(body, batch, batch[0].eventId);
    if (!outcome.ok) {
      this.stats.failures += 1;
      channel.attempts += 1;
      const delay = retryDelayMs(channel.attempts, this.config.retryBaseMs, this.config.retryMaxMs);
      channel.notBefore = Date.now() + delay;
      // The events of the failed delivery have waited their linger: the retry sends them when due.
      channel.pendingSince = lingeredSince;
      // The position of the last delivery first, so that its write does not clear this failure.
      if (!(await channel.transport.acknowledged(channel.cursor, 0))) {
        this.drop(channel);
        return false;
      }
      await channel.transport.failed(channel.attempts, delay, outcome.reason);
      return false;
    }
    this.stats.deliveries += 1;
    this.stats.eventsDelivered += batch.length;
    // The receiver has these events: the position moves now, and is made durable with the others
    // of the moment while the next delivery is prepared (a crash before that write sends these
    // events once more, as the at-least-once contract allows; GS1-Delivery-ID names the repeat).
    this.moveTo(channel, cursor);
    channel.attempts = 0;
    channel.savedAt = Date.now();
    channel.passedOver = 0;
    channel.transport.acknowledged(cursor, batch.length).then(
      (held) => {
        // Another replica holds the lease now: it delivers from the last durable position.
        if (!held) this.drop(channel);
      },
      (error: Error) => this.logger.warn(`subscription ${channel.subscriptionId}: position not saved (the next one saves it): ${error.message}`),
    );
    // Events queued while this delivery was out go next, without waiting for a tick: the next
    // step sends them or sets the timer for the rest of their linger.
    return behind || allowed.length > batch.length || (channel.queue !== null && channel.queue.length > 0);
  }

  /** The receiver has everything up to `cursor`: the queue keeps only what follows it. */
  private moveTo(channel: Channel, cursor: FeedPosition): void {
    channel.cursor = cursor;
    const queue = channel.queue;
    if (queue === null) return;
    let done = 0;
    while (done < queue.length && compareEventToPosition(queue[done], cursor) <= 0) done += 1;
    if (done > 0) queue.splice(0, done);
    if (comparePositions(cursor, channel.queuedUpTo) > 0) channel.queuedUpTo = cursor;
  }

  /**
   * The subscriber's read scope, read from the database once per feed generation and subscriber:
   * the events of a scan were all committed before the feed's last advance ended, and this read
   * comes after it, so it sees every revocation committed before any of those events.
   */
  private scopeOf(subscriber: Principal, generation: number): Promise<VisiblePrefixes> {
    if (this.scopes.generation !== generation) this.scopes = { generation, bySubscriber: new Map() };
    const key = `${subscriber.accountId}\u0000${subscriber.apiKeyId ?? ''}`;
    let scope = this.scopes.bySubscriber.get(key);
    if (!scope) {
      this.stats.scopeReads += 1;
      scope = this.readScope(subscriber);
      this.scopes.bySubscriber.set(key, scope);
      // A failed read is not kept: the next delivery reads again.
      scope.catch(() => this.scopes.bySubscriber.delete(key));
    }
    return scope;
  }

  /** Nothing for an account that was disabled or removed since it subscribed; else what it may read now. */
  private async readScope(subscriber: Principal): Promise<VisiblePrefixes> {
    const standing = await this.accounts.standing(subscriber.accountId);
    if (!standing || standing.status !== 'active') return [];
    return this.access.visiblePrefixes(subscriber);
  }

  /** The subscriptions this replica delivers now, by transport. */
  channelCounts(): { webhook: number; websocket: number } {
    let webhook = 0;
    for (const key of this.channels.keys()) if (key.startsWith('webhook:')) webhook += 1;
    return { webhook, websocket: this.channels.size - webhook };
  }

  private drop(channel: Channel): void {
    channel.closed = true;
    // Only this channel: the same subscription may have been claimed again since (a new channel).
    if (this.channels.get(channel.key) === channel) this.channels.delete(channel.key);
    this.toBacklog(channel);
  }

  /** Takes or renews the leases of webhook subscriptions; forgets those this replica no longer holds. */
  private async claimWebhooks(): Promise<void> {
    this.nextClaimAt = Date.now() + Math.floor(this.config.leaseMs / 3);
    const rows = await this.repository.claim(this.replica, this.config.leaseMs, CLAIM_LIMIT);
    const held = new Set<string>();
    for (const row of rows) {
      const key = `webhook:${row.id}`;
      held.add(key);
      const existing = this.channels.get(key);
      if (existing) {
        // Another replica may have delivered further while this one had lost the lease.
        if (!existing.busy && comparePositions(row.cursor, existing.cursor) > 0) {
          existing.cursor = row.cursor;
          this.toBacklog(existing);
        }
        continue;
      }
      const channel = this.webhookChannel(row);
      if (channel) this.channels.set(key, channel);
    }
    // claim() skips the rows that are locked just then, this replica's own among them while an
    // acknowledgement is updating them: those are still held (their channels keep running, the
    // next claim renews them). Only a lease this replica no longer holds ends a channel.
    const missing = [...this.channels.keys()].filter((key) => key.startsWith('webhook:') && !held.has(key));
    if (missing.length === 0) return;
    const stillHeld = await this.repository.heldBy(this.replica);
    for (const key of missing) {
      const channel = this.channels.get(key);
      if (channel && !stillHeld.has(key.slice('webhook:'.length))) this.drop(channel);
    }
  }

  /** Makes a webhook subscription's new position durable, together with the others acknowledged at the same moment. */
  private acknowledge(id: string, cursor: FeedPosition, delivered: number): Promise<boolean> {
    return new Promise((done, fail) => {
      const known = this.pendingAcks.get(id);
      if (!known) this.pendingAcks.set(id, { id, cursor, delivered, waiters: [{ done, fail }] });
      else {
        if (comparePositions(cursor, known.cursor) > 0) known.cursor = cursor;
        known.delivered += delivered;
        known.waiters.push({ done, fail });
      }
      this.scheduleAckFlush();
    });
  }

  /** One UPDATE ACK_GROUP_MS after the first waiting position; never two at once (a later one waits for the running one). */
  private scheduleAckFlush(): void {
    if (this.ackTimer || this.flushing) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.flushing = this.flushAcks().finally(() => {
        this.flushing = null;
        if (this.pendingAcks.size > 0) this.scheduleAckFlush();
      });
    }, ACK_GROUP_MS);
  }

  private async flushAcks(): Promise<void> {
    const acks = [...this.pendingAcks.values()];
    this.pendingAcks.clear();
    try {
      const held = await this.repository.acknowledgedMany(this.replica, acks);
      for (const ack of acks) for (const waiter of ack.waiters) waiter.done(held.has(ack.id));
    } catch (error) {
      for (const ack of acks) for (const waiter of ack.waiters) waiter.fail(error as Error);
    }
  }

  private webhookChannel(row: SubscriptionRow): Channel | null {
    const secret = this.queries.unsealSecret(row.sealedSecret);
    if (secret === undefined) {
      this.logger.error(`subscription ${row.id}: its secret does not open with this node secret; not delivering`);
      return null;
    }
    const replica = this.replica;
    const repository = this.repository;
    const sender = this.sender;
    const headers = {
      'GS1-EPCIS-Version': '2.0.0',
      'GS1-CBV-Version': '2.0.0',
      'GS1-Subscription-ID': row.id,
      'GS1-Query-Name': row.queryName,
    };
    const filter = parseDefinition(row.parameters).filter;
    return {
      key: `webhook:${row.id}`,
      queryName: row.queryName,
      subscriptionId: row.id,
      filter,
      matches: compileFilter(filter),
      queue: null,
      queuedUpTo: row.cursor,
      extendTried: false,
      subscriber: row.subscriber as Principal,
      cursor: row.cursor,
      attempts: row.attempts,
      notBefore: row.nextAttemptAt.getTime(),
      busy: false,
      closed: false,
      savedAt: Date.now(),
      passedOver: 0,
      pendingSince: 0,
      transport: {
        send: (body, _events, firstEventId) => sender.send(row.dest, body, { ...headers, 'GS1-Delivery-ID': deliveryId(row.id, firstEventId) }, secret),
        acknowledged: (cursor, delivered) => this.acknowledge(row.id, cursor, delivered),
        failed: (attempts, delayMs, reason) => repository.failed(row.id, replica, attempts, delayMs, reason),
      },
    };
  }
}

/**
 * The EPCISQueryDocument of one delivery as UTF-8 JSON: the named query's name, the subscription,
 * and the events' own bytes (FeedEvent.json) joined into its eventList.
 */
export function subscriptionDocumentBytes(queryName: string, subscriptionId: string, events: FeedEvent[], now = new Date()): Buffer {
  const envelope = JSON.stringify({
    '@context': [EPCIS_CONTEXT],
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: now.toISOString(),
    epcisBody: { queryResults: { queryName, subscriptionID: subscriptionId, resultsBody: { eventList: [] } } },
  });
  // The empty eventList is the last value of the text: the events go between its brackets.
  const open = envelope.length - EMPTY_LIST_END.length + 1;
  const parts: Buffer[] = [Buffer.from(envelope.slice(0, open), 'utf8')];
  for (let k = 0; k < events.length; k += 1) {
    if (k > 0) parts.push(COMMA);
    parts.push(events[k].json);
  }
  parts.push(Buffer.from(envelope.slice(open), 'utf8'));
  return Buffer.concat(parts);
}

const COMMA = Buffer.from(',');

/** How the envelope above ends: `eventList: []` closed by resultsBody, queryResults, epcisBody and the document. */
const EMPTY_LIST_END = '[]}}}}';

/**
 * When a delivery that is not full goes out (ms since the epoch): once its oldest event was
 * recorded `lingerMs` ago, and at the latest `lingerMs` after it was queued (`queuedAt`).
 */
export function deliveryDue(queuedAt: number, oldestRecordMicros: number, lingerMs: number): number {
  return Math.ceil(Math.min(queuedAt, oldestRecordMicros / 1000)) + lingerMs;
}

/** Whether a run could do anything: a channel that is up to date with nothing queued and nothing to save is left alone. */
function hasWork(channel: Channel, now: number): boolean {
  if (channel.queue === null || channel.queue.length > 0) return true;
  if (comparePositions(channel.queuedUpTo, channel.cursor) > 0) return true;
  return channel.passedOver > 0 && now - channel.savedAt > IDLE_SAVE_MS;
}
