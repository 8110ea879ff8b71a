import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '@idis/runtime';
import { NodeRepository } from './node.repository';

const PRUNE_INTERVAL_MS = 60_000;

/** Forgets nonces whose timestamps have left the clock-skew window (they are refused by timestamp anyway). */
@Injectable()
export class NoncePruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Nonces');
  private readonly task = new PeriodicTask(() => this.nodes.pruneNonces(new Date()), {
    intervalMs: PRUNE_INTERVAL_MS,
    onError: (error) => this.logger.warn(`pruning nonces failed: ${(error as Error).message}`),
  });

  constructor(private readonly nodes: NodeRepository) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }
}
