import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { HandleProtocolStats } from '../handle-protocol/handle-protocol-stats';
import { METRIC_PREFIX, NodeMetrics } from './node-metrics';

type CountedField = Exclude<keyof HandleProtocolStats, 'openConnections'>;

/** The `event` label of idis_handle_protocol_events_total and the counter each reads. */
const EVENTS: ReadonlyArray<[string, CountedField]> = [
  ['udp_packet', 'udpPackets'],
  ['tcp_request', 'tcpRequests'],
  ['prepared_reply', 'preparedReplies'],
  ['budget_drop', 'budgetDrops'],
  ['truncated_reply', 'truncatedReplies'],
  ['fragmented_reply', 'fragmentedReplies'],
  ['malformed', 'malformed'],
  ['incomplete_message', 'incompleteMessages'],
  ['busy_refusal', 'busyRefusals'],
  ['connection_refused', 'connectionsRefused'],
  ['tcp_idle_timeout', 'tcpIdleTimeouts'],
  ['tcp_read_timeout', 'tcpReadTimeouts'],
  ['tcp_oversize_refusal', 'tcpOversizeRefusals'],
];

/** The Handle protocol listeners' counters, read at scrape time into the node's registry. */
@Injectable()
export class HandleProtocolMetrics {
  constructor(metrics: NodeMetrics, stats: HandleProtocolStats) {
    new Counter({
      name: `${METRIC_PREFIX}handle_protocol_events_total`,
      help: 'Handle protocol (UDP/TCP 2641) packets, requests, guard actions (budget drops, truncated replies, timeouts, refused connections) and malformed input',
      labelNames: ['event'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const [event, field] of EVENTS) this.inc({ event }, stats[field]);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}handle_protocol_connections`,
      help: 'Open TCP connections of the Handle protocol listener',
      registers: [metrics.registry],
      collect() {
        this.set(stats.openConnections);
      },
    });
  }
}
