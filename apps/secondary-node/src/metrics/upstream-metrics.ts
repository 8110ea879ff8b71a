import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { OutboxRepository } from '../upstream/outbox.repository';
import { TopLevelLink } from '../upstream/top-level-link';
import { METRIC_PREFIX, NodeMetrics } from './node-metrics';

/** Prometheus gauges of the upstream link, read at scrape time into the node's registry. */
@Injectable()
export class UpstreamMetrics {
  constructor(metrics: NodeMetrics, link: TopLevelLink, repository: OutboxRepository) {
    new Gauge({
      name: `${METRIC_PREFIX}upstream_outbox_items`,
      help: 'Upstream outbox items waiting (pending) or given up (failed)',
      labelNames: ['status'],
      registers: [metrics.registry],
      async collect() {
        const depth = await repository.depth().catch(() => undefined);
        if (!depth) return;
        this.set({ status: 'pending' }, depth.pending);
        this.set({ status: 'failed' }, depth.failed);
      },
    });
    // Only registered with a top level configured: an unlinked node has no link to alert on.
    if (link.configured) {
      new Gauge({
        name: `${METRIC_PREFIX}upstream_link_up`,
        help: '1 when the link to the top-level node is up (enrolled and answering), 0 otherwise',
        registers: [metrics.registry],
        collect() {
          this.set(link.state === 'linked' ? 1 : 0);
        },
      });
    }
  }
}
