import { Injectable } from '@nestjs/common';
import { EventHub } from '../events/event-hub';
import { UsageCounter } from './usage-counter';

/**
 * What statistics hear on the event hub: committed registrations are counted per enterprise
 * prefix, a prefix homed here is counted under its own key at once, and a foreign prefix the top
 * level located is counted under its own key (resolutions themselves arrive through the metrics'
 * ResolutionRecorder, one listener for both counts and latency).
 */
@Injectable()
export class UsageListener {
  constructor(events: EventHub, usage: UsageCounter) {
    events.on('identifiers.written', ({ operation, records }) => {
      const perPrefix = new Map<string, number>();
      for (const record of records) perPrefix.set(record.prefixKey, (perPrefix.get(record.prefixKey) ?? 0) + 1);
      for (const [prefixKey, count] of perPrefix) usage.recordRegistrations(prefixKey, count, operation);
    });
    events.on('prefix.homed', ({ prefixKey }) => usage.notePrefixHomed(prefixKey));
    events.onSignal('foreign-prefix.located', (prefixKey) => usage.noteForeignPrefix(prefixKey));
  }
}
