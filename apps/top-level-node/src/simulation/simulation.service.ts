import { Inject, Injectable } from '@nestjs/common';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { invalid } from '../errors/top-level-errors';

export interface SimulationKnobs {
  /** Added to every gRPC call before it is handled. */
  latencyMs: number;
  /** Share of gRPC calls answered UNAVAILABLE at random, 0..1. */
  errorRate: number;
  /** Every gRPC call answered UNAVAILABLE. */
  down: boolean;
}

export const MAX_SIMULATED_LATENCY_MS = 60_000;

/** Fault knobs of the simulator, changeable at run time (PUT /api/v1/simulation). */
@Injectable()
export class SimulationService {
  private knobs: SimulationKnobs;

  constructor(@Inject(TOP_LEVEL_CONFIG) config: TopLevelConfig) {
    this.knobs = { ...config.simulation };
  }

  current(): SimulationKnobs {
    return { ...this.knobs };
  }

  /** Applies a partial change after validating every field; unknown fields are refused. */
  update(change: unknown): SimulationKnobs {
    if (typeof change !== 'object' || change === null || Array.isArray(change)) throw invalid('body must be a JSON object {latencyMs, errorRate, down}');
    const next = { ...this.knobs };
    for (const [key, value] of Object.entries(change)) {
      if (key === 'latencyMs') {
        if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_SIMULATED_LATENCY_MS) {
          throw invalid(`latencyMs must be an integer from 0 to ${MAX_SIMULATED_LATENCY_MS}`);
        }
        next.latencyMs = value as number;
      } else if (key === 'errorRate') {
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) throw invalid('errorRate must be a number from 0 to 1');
        next.errorRate = value;
      } else if (key === 'down') {
        if (typeof value !== 'boolean') throw invalid('down must be true or false');
        next.down = value;
      } else {
        throw invalid(`unknown field ${JSON.stringify(key)}; expected latencyMs, errorRate, down`);
      }
    }
    this.knobs = next;
    return this.current();
  }
}
