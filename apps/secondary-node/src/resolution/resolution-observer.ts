import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResolutionTier } from './resolution.types';

/** What one resolution ended in: the tier that answered a found record, a not-found, or an error. */
export type ResolutionOutcome = ResolutionTier | 'not_found' | 'error';

/**
 * Told about every resolution, for counting and latency metrics. The resolution module does not
 * depend on statistics or metrics: they implement this interface.
 *
 * Called once per resolution by the front door that answered it (so the time includes rendering),
 * synchronously on the hot path: an implementation must be cheap and must not throw.
 */
export interface ResolutionObserver {
  /**
   * @param prefixKey lower-cased enterprise prefix of the identifier asked for ('-' if unparsable)
   * @param outcome   'l1' | 'l2' | 'db' for a found record, 'not_found' (from whichever tier), 'error'
   * @param seconds   time from request to answer
   */
  observe(prefixKey: string, outcome: ResolutionOutcome, seconds: number): void;
}

/** What front doors inject and call. ResolutionModule provides it (a ResolutionObserverRelay). */
export const RESOLUTION_OBSERVER = Symbol('RESOLUTION_OBSERVER');

/**
 * Where the relay forwards to: any module may provide an implementation under this token, e.g.
 * `{ provide: RESOLUTION_OBSERVER_SINK, inject: [ResolutionRecorder],
 *    useFactory: (r) => ({ observe: (p, o, s) => r.observeResolution(p, o, s) }) }`.
 * It is looked up once at start-up across all modules, so neither module imports the other.
 */
export const RESOLUTION_OBSERVER_SINK = Symbol('RESOLUTION_OBSERVER_SINK');

export const NO_RESOLUTION_OBSERVER: ResolutionObserver = Object.freeze({
  observe(): void {},
});

/** RESOLUTION_OBSERVER: forwards to the RESOLUTION_OBSERVER_SINK if some module provides one, else does nothing. */
@Injectable()
export class ResolutionObserverRelay implements ResolutionObserver, OnModuleInit {
  private sink: ResolutionObserver = NO_RESOLUTION_OBSERVER;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const sink = this.findSink();
    if (sink) this.sink = sink;
  }

  observe(prefixKey: string, outcome: ResolutionOutcome, seconds: number): void {
    this.sink.observe(prefixKey, outcome, seconds);
  }

  private findSink(): ResolutionObserver | undefined {
    try {
      return this.moduleRef.get<ResolutionObserver>(RESOLUTION_OBSERVER_SINK, { strict: false });
    } catch {
      // No module provides a sink: resolutions are not observed.
      return undefined;
    }
  }
}
