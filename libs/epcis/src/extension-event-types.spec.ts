import { parseEpcisPayload } from './parse';
import { isExtensionEventType } from './validate';

const CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const EXAMPLE = { example: 'http://ns.example.com/epcis/' };

function doc(context: unknown[], ...events: unknown[]): string {
  return JSON.stringify({ '@context': context, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2025-01-15T08:00:00.000+08:00', epcisBody: { eventList: events } });
}

const calibration = {
  type: 'example:CalibrationEvent',
  eventID: 'urn:uuid:0e0c6f40-1b7e-4c6e-9d55-3f1c00000001',
  eventTime: '2025-03-01T10:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234' },
  epcList: ['hdl:88.118.8/SENSOR-1'],
  'example:calibration': { 'example:offset': -0.25, 'example:unit': 'CEL', 'example:steps': [1, 2, 3] },
};

describe('extension event types', () => {
  it('tells extension event types from standard and reserved names', () => {
    expect(isExtensionEventType('example:CalibrationEvent')).toBe(true);
    expect(isExtensionEventType('https://ns.example.com/epcis/CalibrationEvent')).toBe(true);
    expect(isExtensionEventType('urn:example:event:calibration')).toBe(true);
    expect(isExtensionEventType('ObjectEvent')).toBe(false);
    expect(isExtensionEventType('CalibrationEvent')).toBe(false);
    expect(isExtensionEventType('gs1:CalibrationEvent')).toBe(false);
    expect(isExtensionEventType('epcis:ObjectEvent')).toBe(false);
    expect(isExtensionEventType('https://ref.gs1.org/epcis/CalibrationEvent')).toBe(false);
    expect(isExtensionEventType('urn:epcglobal:epcis:CalibrationEvent')).toBe(false);
    expect(isExtensionEventType(' example:X')).toBe(false);
    expect(isExtensionEventType(42)).toBe(false);
  });

  it('accepts an extension event whose prefix the document declares, and keeps it intact with its namespace', () => {
    const parsed = parseEpcisPayload(doc([CONTEXT, EXAMPLE], calibration));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [event] = parsed.events;
    expect(event.type).toBe('example:CalibrationEvent');
    expect(event.eventId).toBe(calibration.eventID);
    expect(event.hashId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
    expect(event.action).toBeNull();
    expect(event.readPoint).toBe('urn:epc:id:sgln:0614141.07346.1234');
    expect(event.identifiers).toEqual([{ id: 'hdl:88.118.8/SENSOR-1', role: 'epc' }]);
    expect(event.containment).toEqual([]);
    expect(event.commissioned).toEqual([]);
    // Stored as sent, with the document's prefix so that it stays valid JSON-LD on its own.
    const { '@context': context, ...rest } = event.document;
    expect(rest).toEqual(calibration);
    expect(context).toEqual([EXAMPLE]);
  });

  it('accepts an extension event type named by a full URI, and a single extension event as the payload', () => {
    const uriTyped = { ...calibration, type: 'https://ns.example.com/epcis/CalibrationEvent', '@context': [CONTEXT, EXAMPLE] };
    const single = parseEpcisPayload(JSON.stringify(uriTyped));
    if (!single.ok) throw new Error(JSON.stringify(single.problems));
    expect(single.events[0].type).toBe('https://ns.example.com/epcis/CalibrationEvent');
    expect(single.events[0].document).toEqual(uriTyped);
  });

  it('refuses an undeclared prefix, a reserved namespace and a bare unknown name', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['other:CalibrationEvent', /prefix "other", which no @context declares/],
      ['gs1:CalibrationEvent', /unsupported event type/],
      ['CalibrationEvent', /unsupported event type/],
    ];
    for (const [type, message] of cases) {
      const parsed = parseEpcisPayload(doc([CONTEXT, EXAMPLE], { ...calibration, type }));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problems).toEqual([{ path: '$.epcisBody.eventList[0].type', message: expect.stringMatching(message) }]);
    }
  });

  it('still checks the standard fields an extension event uses', () => {
    const parsed = parseEpcisPayload(doc([CONTEXT, EXAMPLE], { ...calibration, action: 'SOMETIMES', eventTimeZoneOffset: '+8:00', unknownField: 1 }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problems.map((p) => p.path).sort()).toEqual([
        '$.epcisBody.eventList[0].action',
        '$.epcisBody.eventList[0].eventTimeZoneOffset',
        '$.epcisBody.eventList[0].unknownField',
      ]);
    }
    const noTime = { ...calibration };
    delete (noTime as Record<string, unknown>).eventTime;
    const missing = parseEpcisPayload(doc([CONTEXT, EXAMPLE], noTime));
    expect(missing.ok).toBe(false);
  });
});

describe('extension event types without extension fields', () => {
  it('carry the prefix of their type in their own @context', () => {
    const plain = { type: 'example:InspectionEvent', eventTime: '2025-03-01T10:00:00.000+08:00', eventTimeZoneOffset: '+08:00', epcList: ['hdl:88.118.8/X-1'] };
    const parsed = parseEpcisPayload(doc([CONTEXT, EXAMPLE], plain));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.events[0].document['@context']).toEqual([EXAMPLE]);
  });
});
