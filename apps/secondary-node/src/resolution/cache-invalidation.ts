import { Injectable } from '@nestjs/common';
import { EventHub } from '../events/event-hub';
import { HealthBoard } from '../health/health-board';
import { ResolutionCache } from './resolution-cache';
import { ResolutionHealth } from './resolution-health';
import { RedisTier } from './redis-tier';

/**
 * Resolution's listeners: a committed write evicts its records from L1, Redis and every replica
 * (awaited by the writer, so the write is not acknowledged before), a deactivation evicts
 * everything; and the caches report their health (degraded while Redis or the invalidation
 * channel is down).
 */
@Injectable()
export class CacheInvalidation {
  constructor(events: EventHub, cache: ResolutionCache, health: ResolutionHealth, board: HealthBoard, redis: RedisTier) {
    events.on('identifiers.written', ({ records }) => cache.invalidate(records.map((record) => record.handleKey)));
    events.on('records.invalidate-all', () => cache.invalidateAll());
    board.register('cache', () => {
      const snapshot = health.snapshot();
      return { status: snapshot.redis === 'down' || snapshot.invalidationChannel === 'down' ? 'down' : 'up', detail: snapshot };
    });
    // A frozen Redis keeps its connection "ready" and the breaker closed while nothing is sent: ask it.
    if (redis.clusterMode) {
      // Every master answers and the cluster says it covers every slot (not during a failover).
      board.registerProbe('redis', async () => {
        const health = (await redis.clusterHealth())!;
        return { status: health.status, detail: health };
      });
    } else if (redis.configured) {
      board.registerProbe('redis', async () => ((await redis.ping()) ? { status: 'up', detail: { status: 'up' } } : { status: 'down', detail: { status: 'down' } }));
    }
  }
}
