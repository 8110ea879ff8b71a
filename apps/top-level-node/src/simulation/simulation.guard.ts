import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { TopLevelError } from '../errors/top-level-errors';
import { SimulationService } from './simulation.service';

/**
 * Applies the simulation knobs to every gRPC call before anything else runs (before
 * authentication, so a refused call consumes no nonce): down → UNAVAILABLE, then the added
 * latency, then UNAVAILABLE for the configured share of calls.
 */
@Injectable()
export class SimulationGuard implements CanActivate {
  constructor(private readonly simulation: SimulationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') return true;
    const knobs = this.simulation.current();
    if (knobs.down) throw new TopLevelError('UNAVAILABLE', 'the top-level node is down (simulation)');
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    if (knobs.errorRate > 0 && Math.random() < knobs.errorRate) {
      throw new TopLevelError('UNAVAILABLE', `simulated failure (error rate ${knobs.errorRate})`);
    }
    return true;
  }
}
