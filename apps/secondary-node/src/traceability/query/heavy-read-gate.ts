import { Inject, Injectable } from '@nestjs/common';
import { HEAVY_READ_CONFIG, type HeavyReadConfig } from '../../config/heavy-read.config';

/**
 * Admits as many traces and EPCIS queries at once as the heavy-read pool has connections; the
 * others wait here, before any work. Without it, every waiting request would still interleave its
 * JavaScript (row parsing, graph building, rendering) with resolution on the one event loop, and
 * resolution latency would grow with the number of heavy requests rather than with the pool.
 */
@Injectable()
export class HeavyReadGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(@Inject(HEAVY_READ_CONFIG) config: HeavyReadConfig) {
    this.limit = config.poolSize;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes to the next waiter directly, so `running` never drops below the work in progress.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
