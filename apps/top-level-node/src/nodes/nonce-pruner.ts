import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { NodeRepository } from './node.repository';

const PRUNE_INTERVAL_MS = 60_000;

/** Forgets nonces whose timestamps have left the clock-skew window (they are refused by timestamp anyway). */
@Injectable()
export class NoncePruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Nonces');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly nodes: NodeRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.nodes
        .pruneNonces(new Date())
        .catch((error: unknown) => this.logger.warn(`pruning nonces failed: ${(error as Error).message}`))
        .finally(() => (this.running = undefined));
    }, PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
