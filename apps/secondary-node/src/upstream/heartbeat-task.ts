import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { HeartbeatAck } from '@idis/contracts';
import { PeriodicTask } from '@idis/runtime';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { HealthBoard } from '../health/health-board';
import { EnrolmentRepository } from './enrolment.repository';
import { OutboxRepository } from './outbox.repository';
import { TopLevelLink } from './top-level-link';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';

/**
 * Heartbeats to the top level, every UPSTREAM_HEARTBEAT_INTERVAL_MS, once as soon as the node
 * is enrolled (so the link state is known early), and once when its endpoints change. Each carries its own sequence (shared by the
 * replicas through the node row), the node's health, endpoints and outbox depth; the last
 * acknowledgement is kept for the status page. A heartbeat the top level does not answer is
 * simply the next one's job: the link records the failure.
 */
@Injectable()
export class HeartbeatTask implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask<HeartbeatAck | undefined>;
  lastAckAt: Date | undefined;
  lastSequence: number | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) upstreamConfig: UpstreamConfig,
    private readonly link: TopLevelLink,
    private readonly enrolment: EnrolmentRepository,
    private readonly outbox: OutboxRepository,
    private readonly health: HealthBoard,
  ) {
    this.task = new PeriodicTask(() => this.heartbeat(), { intervalMs: upstreamConfig.heartbeatIntervalMs });
  }

  onApplicationBootstrap(): void {
    if (!this.link.configured) return;
    this.task.start();
    void this.link.whenEnrolled().then(() => this.task.runNow());
    this.link.onEndpointsChanged(() => void this.announceEndpoints());
  }

  /**
   * A heartbeat sent now because the node's endpoints changed (a Handle protocol listener bound
   * after enrolment): the top level learns them at once instead of an interval later. A heartbeat
   * already on its way may carry the old list, so this one waits for it and sends its own. Before
   * enrolment nothing is sent: the enrolment, or the heartbeat that follows it, carries them.
   */
  async announceEndpoints(): Promise<HeartbeatAck | undefined> {
    while (this.task.busy) await this.task.runNow();
    return this.task.runNow();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** One heartbeat; resolves with the acknowledgement, rejects when the top level did not answer. */
  async heartbeat(): Promise<HeartbeatAck | undefined> {
    if (!this.link.enrolment) return undefined;
    const sequence = await this.enrolment.nextHeartbeatSequence(this.config.nodeId);
    if (sequence === undefined) return undefined;
    const depth = await this.outbox.depth();
    // The node's own health as /health sees it, without the link this heartbeat is travelling on.
    const status = this.health.check('cache')?.status === 'down' ? 'degraded' : 'ok';
    const ack = await this.link.call((client, credentials) =>
      client.heartbeat({ sequence, sentAtMs: Date.now(), status, endpoints: this.link.endpoints(), outboxDepth: depth.pending + depth.failed }, credentials),
    );
    this.lastAckAt = new Date();
    this.lastSequence = sequence;
    await this.enrolment.recordHeartbeatAck(this.config.nodeId, this.lastAckAt);
    return ack;
  }
}
