import { randomUUID } from 'node:crypto';
import type { SimMessage } from '../../apps/enterprise-sim/src/messages';

/**
 * `count` one-event MQTT messages of `prefix` for the enterprise simulator's publisher: ObjectEvent
 * OBSERVE/shipping of `hdl:{prefix}/{tag}-{i}`, each with its own event ID, one millisecond apart.
 */
export function* observeEventMessages(topicRoot: string, prefix: string, count: number, tag: string): Generator<SimMessage> {
  for (let i = 0; i < count; i += 1) {
    const eventId = `urn:uuid:${randomUUID()}`;
    const event = {
      type: 'ObjectEvent',
      eventID: eventId,
      eventTime: new Date(Date.UTC(2025, 0, 15, 8, 0, 0) + i).toISOString(),
      eventTimeZoneOffset: '+08:00',
      epcList: [`hdl:${prefix}/${tag}-${i}`],
      action: 'OBSERVE',
      bizStep: 'shipping',
    };
    yield { topic: `${topicRoot}/${prefix}/events`, payload: JSON.stringify(event), kind: 'events', enterprisePrefix: prefix, eventIds: [eventId], eventCount: 1 };
  }
}
