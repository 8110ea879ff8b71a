import { Injectable, Optional } from '@nestjs/common';
import { EventHub } from '../events/event-hub';
import type { ResolutionDoor, ResolutionOutcome } from '../events/node-events';
import { UsageCounter } from '../statistics/usage-counter';
import { ResolutionLatency } from '../statistics/resolution-latency';

/**
 * Listens to every resolution the front doors signal ('resolution.observed'): counts it per prefix
 * and minute (statistics) and adds its duration to the latency histogram (/metrics). One listener
 * for both, so a resolution costs one call: a clock read, a Map lookup and a few array additions
 * (about 60 ns); it never throws.
 */
@Injectable()
export class ResolutionRecorder {
  constructor(
    private readonly usage: UsageCounter,
    private readonly latency: ResolutionLatency,
    @Optional() events?: EventHub,
  ) {
    events?.onSignal('resolution.observed', (prefixKey, outcome, seconds, door) => this.observeResolution(prefixKey, outcome, seconds, door));
    events?.onSignal('resolution.observed-many', (prefixKey, outcome, seconds, door, count) => this.observeResolutions(prefixKey, outcome, seconds, door, count));
  }

  /**
   * `count` resolutions answered together (prepared Handle protocol replies of one event loop turn),
   * `seconds` their summed durations: counted exactly; in the histogram each at their mean duration.
   */
  observeResolutions(prefixKey: string, outcome: ResolutionOutcome, seconds: number, door: ResolutionDoor, count: number): void {
    if (!(count > 0)) return;
    this.usage.recordResolutions(prefixKey, outcome, door, count);
    this.latency.observeMany(outcome, seconds, count);
  }

  /**
   * @param prefixKey ASCII-lower-cased enterprise prefix of the identifier ('-' if unparsable)
   * @param outcome the tier that answered, or not_found / error
   * @param seconds time from request to answer, e.g. Number(process.hrtime.bigint() - start) / 1e9
   * @param door the front door it came through (statistics count resolutions per door)
   */
  observeResolution(prefixKey: string, outcome: ResolutionOutcome, seconds: number, door?: ResolutionDoor): void {
    this.usage.recordResolution(prefixKey, outcome, door);
    this.latency.observe(outcome, seconds);
  }
}
