import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { LIMIT_FAMILIES } from '../limits/limits.config';
import { RequestLimits } from '../limits/request-limits';
import { countedAtScrape, METRIC_PREFIX, NodeMetrics } from './node-metrics';

/** Prometheus counters of the rate limits, read at scrape time into the node's registry. */
@Injectable()
export class LimitsMetrics {
  constructor(metrics: NodeMetrics, limits: RequestLimits) {
    new Counter({
      name: `${METRIC_PREFIX}rate_limit_refusals_total`,
      help: 'Calls and MQTT messages refused by a rate limit or quota, by family',
      labelNames: ['family'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        const counts = limits.refusalCounts();
        for (const family of LIMIT_FAMILIES) this.inc({ family }, counts.get(family) ?? 0);
      },
    });
    countedAtScrape(metrics.registry, 'rate_limit_store_fallbacks_total', 'Limiter commands Redis failed or answered too late, counted in this process instead', () => limits.fallbackCount());
  }
}
