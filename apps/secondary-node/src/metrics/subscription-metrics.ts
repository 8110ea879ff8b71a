import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { EventFeed } from '../traceability/subscriptions/event-feed';
import { SubscriptionDelivery } from '../traceability/subscriptions/subscription-delivery';
import { countedAtScrape, METRIC_PREFIX, NodeMetrics } from './node-metrics';

/**
 * EPCIS subscriptions of this replica, read at scrape time: what its delivery loop sent, what
 * failed, the subscriptions it delivers now, and where the feed took the events from (handed over
 * by this replica's store, or read back from the database: other replicas' commits, a lagging
 * subscription's backlog).
 */
@Injectable()
export class SubscriptionMetrics {
  constructor(metrics: NodeMetrics, delivery: SubscriptionDelivery, feed: EventFeed) {
    const registry = metrics.registry;
    new Counter({
      name: `${METRIC_PREFIX}epcis_subscription_deliveries_total`,
      help: 'EPCIS subscription deliveries (EPCISQueryDocuments) by outcome: acknowledged by the receiver, or failed and waiting for a retry',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ outcome: 'acknowledged' }, delivery.stats.deliveries);
        this.inc({ outcome: 'failed' }, delivery.stats.failures);
      },
    });
    countedAtScrape(registry, 'epcis_subscription_events_delivered_total', 'Events carried by acknowledged EPCIS subscription deliveries', () => delivery.stats.eventsDelivered);
    new Gauge({
      name: `${METRIC_PREFIX}epcis_subscriptions_delivering`,
      help: 'EPCIS subscriptions this replica delivers now (webhook leases held, WebSockets open), by transport',
      labelNames: ['transport'],
      registers: [registry],
      collect() {
        const counts = delivery.channelCounts();
        this.set({ transport: 'webhook' }, counts.webhook);
        this.set({ transport: 'websocket' }, counts.websocket);
      },
    });
    countedAtScrape(registry, 'epcis_feed_advances_total', 'Times the subscription feed moved its horizon on (two statements each: the horizon, the count per record time)', () => feed.generation());
    countedAtScrape(registry, 'epcis_subscription_scope_reads_total', 'Reads of a subscriber\'s read scope (account standing and grants) before a delivery: one per subscriber and feed advance that delivers', () => delivery.stats.scopeReads);
    new Counter({
      name: `${METRIC_PREFIX}epcis_feed_events_total`,
      help: 'Events the subscription feed made final, by source: handed over by this replica\'s store, or read back from the database',
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ source: 'handed' }, feed.counts.handed);
        this.inc({ source: 'read_back' }, feed.counts.readBack);
      },
    });
  }
}
