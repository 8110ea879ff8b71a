import { Module } from '@nestjs/common';
import { EventHub } from '../../events/event-hub';
import { GrantsModule } from '../grants/grants.module';
import { TraceabilityQueryModule } from '../query/query.module';
import { EventFeed } from './event-feed';
import { NamedQueriesController } from './named-queries.controller';
import { NamedQueriesService, ownerOf } from './named-queries.service';
import { StreamServer } from './stream-server';
import { SubscriptionDelivery } from './subscription-delivery';
import { SubscriptionsRepository } from './subscriptions.repository';

/**
 * EPCIS 2.0 named queries and the subscriptions that push their new events (webhooks and
 * WebSockets). It listens to the event hub; ingestion never calls it.
 */
@Module({
  imports: [GrantsModule, TraceabilityQueryModule],
  controllers: [NamedQueriesController],
  providers: [SubscriptionsRepository, EventFeed, NamedQueriesService, SubscriptionDelivery, StreamServer],
  exports: [EventFeed, SubscriptionDelivery],
})
export class SubscriptionsModule {
  constructor(hub: EventHub, repository: SubscriptionsRepository) {
    // A deactivated enterprise's named queries (and their subscriptions) go with it, in the same transaction.
    hub.on('enterprise.deactivated', ({ manager, enterpriseId }) => repository.deleteAllOfOwner(manager, ownerOf({ role: 'enterprise', enterpriseId, accountId: '', username: '' })));
  }
}
