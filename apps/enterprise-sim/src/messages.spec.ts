import { computeEventHashId, parseEpcisPayload } from '@idis/epcis';
import { type FlowOptions, flowEvents, simEnterprises } from './flow';
import { flowMessages, INVALID_KINDS, type MessageOptions, type SimMessage } from './messages';
import { expectedEventIdsOf } from './simulator';

const enterprises = simEnterprises('88.118', 9101, { supplier: 2, manufacturer: 1, distributor: 1, retailer: 2 });
const prefixes = new Set(enterprises.map((e) => e.prefix));
const flow: FlowOptions = { seed: 7, enterprises, startTime: new Date('2025-01-01T00:00:00+08:00'), maxEvents: 1500 };

function messages(options: Partial<MessageOptions> = {}, flowOptions: Partial<FlowOptions> = {}): SimMessage[] {
  return [...flowMessages(flowEvents({ ...flow, ...flowOptions }), { seed: 7, ...options })];
}

describe('simulated MQTT messages', () => {
  it('every valid message is accepted by the EPCIS parser and names the ids the node will store', () => {
    const all = messages({ maxEventsPerMessage: 4 });
    let events = 0;
    for (const message of all) {
      expect(message.kind).toBe('events');
      expect(message.topic).toBe(`idis/v1/${message.enterprisePrefix}/events`);
      expect(prefixes.has(message.enterprisePrefix)).toBe(true);
      const parsed = parseEpcisPayload(message.payload);
      if (!parsed.ok) throw new Error(`${JSON.stringify(parsed.problems)} in ${message.payload.slice(0, 300)}`);
      expect(parsed.events.map((e) => e.eventId)).toEqual(message.eventIds);
      expect(message.eventCount).toBe(parsed.events.length);
      for (const event of parsed.events) {
        // the node's "commissioned handles lie under the publisher's own prefix" rule holds
        for (const handle of event.commissioned) expect(handle.startsWith(`hdl:${message.enterprisePrefix}/`)).toBe(true);
        if (!event.eventIdGiven) expect(event.eventId).toBe(computeEventHashId(event.document));
      }
      events += parsed.events.length;
    }
    expect(events).toBe(1500);
    const ids = all.flatMap((m) => m.eventIds);
    expect(new Set(ids).size).toBe(1500);
    expect(ids.filter((id) => id.startsWith('ni:///sha-256;')).length).toBeGreaterThan(500);
    expect(ids.filter((id) => id.startsWith('urn:uuid:')).length).toBeGreaterThan(500);
    // both forms: bare events and EPCISDocuments, with one or more events
    expect(all.some((m) => JSON.parse(m.payload).type === 'EPCISDocument')).toBe(true);
    expect(all.some((m) => JSON.parse(m.payload).type !== 'EPCISDocument')).toBe(true);
    expect(all.some((m) => m.eventCount > 1)).toBe(true);
  });

  it('expectedEventIdsOf lists the same ids, in publish order, without publishing', () => {
    expect(expectedEventIdsOf({ seed: 7, enterprises, startTime: flow.startTime, maxEvents: 1500 })).toEqual(messages().flatMap((m) => m.eventIds));
  });

  it('keeps one enterprise per message and at most maxEventsPerMessage events', () => {
    for (const message of messages({ maxEventsPerMessage: 5, bareEventFraction: 0 })) {
      const body = JSON.parse(message.payload);
      expect(body.type).toBe('EPCISDocument');
      expect(body.epcisBody.eventList.length).toBeLessThanOrEqual(5);
      expect(body.epcisBody.eventList.length).toBe(message.eventCount);
    }
  });

  it('mixes in duplicates that repeat an earlier message exactly', () => {
    const all = messages({ duplicateFraction: 0.3 });
    const duplicates = all.filter((m) => m.kind === 'duplicate');
    expect(duplicates.length).toBeGreaterThan(200);
    expect(duplicates.length).toBeLessThan(all.length * 0.35);
    all.forEach((message, i) => {
      if (message.kind !== 'duplicate') return;
      const original = all.slice(0, i).find((m) => m.kind === 'events' && m.payload === message.payload);
      expect(original?.topic).toBe(message.topic);
      expect(original?.eventIds).toEqual(message.eventIds);
    });
    // the valid stream itself is unchanged by the duplicates
    expect(all.filter((m) => m.kind === 'events').flatMap((m) => m.eventIds)).toEqual(messages().flatMap((m) => m.eventIds));
  });

  it('mixes in broken messages of every kind, each one something the node must reject', () => {
    const all = messages({ invalidFraction: 0.4 });
    const broken = all.filter((m) => m.kind === 'invalid');
    expect(new Set(broken.map((m) => m.invalidKind))).toEqual(new Set(INVALID_KINDS));
    const validIds = new Set(all.flatMap((m) => m.eventIds));
    for (const message of broken) {
      expect(message.eventIds).toEqual([]);
      const parsed = parseEpcisPayload(message.payload);
      switch (message.invalidKind) {
        case 'inactive-prefix':
          // a valid document on the topic of a prefix that no enterprise holds
          expect(parsed.ok).toBe(true);
          expect(prefixes.has(message.enterprisePrefix)).toBe(false);
          expect(message.topic).toMatch(/^idis\/v1\/88\.118\.99999999\/events$/);
          break;
        case 'foreign-commission':
          // valid EPCIS, but it commissions a handle of another enterprise on this one's topic
          if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
          expect(parsed.events[0].commissioned).toHaveLength(1);
          expect(parsed.events[0].commissioned[0].startsWith(`hdl:${message.enterprisePrefix}/`)).toBe(false);
          break;
        default:
          expect(parsed.ok).toBe(false);
      }
      if (parsed.ok) for (const event of parsed.events) expect(validIds.has(event.eventId)).toBe(false);
    }
  });

  it('is deterministic and refuses out-of-range options', () => {
    expect(messages({ invalidFraction: 0.1, duplicateFraction: 0.1 }).map((m) => m.payload)).toEqual(
      messages({ invalidFraction: 0.1, duplicateFraction: 0.1 }).map((m) => m.payload),
    );
    expect(() => messages({ maxEventsPerMessage: 0 })).toThrow(/maxEventsPerMessage/);
    expect(() => messages({ maxEventsPerMessage: 101 })).toThrow(/maxEventsPerMessage/);
    expect(() => messages({ invalidFraction: 0.6 })).toThrow(/invalidFraction/);
    expect(() => messages({ duplicateFraction: -0.1 })).toThrow(/duplicateFraction/);
    expect(() => messages({ invalidFraction: 0.1, invalidKinds: [] })).toThrow(/invalidKinds/);
  });
});
