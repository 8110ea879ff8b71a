import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { computeEventHashId, eventHashPreimage, undeclaredPrefixes } from './hash';
import { parseEpcisPayload } from './parse';

/** tests/examples/epcisDocWithSingleEvent.jsonld of the reference generator (epcis-mqtt.md §1.5) */
const REFERENCE_EVENT = {
  type: 'ObjectEvent',
  action: 'OBSERVE',
  bizStep: 'shipping',
  disposition: 'in_transit',
  epcList: ['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'],
  eventTime: '2022-02-16T20:33:31.116000-06:00',
  eventTimeZoneOffset: '-06:00',
  readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234' },
  bizTransactionList: [{ type: 'po', bizTransaction: 'http://transaction.acme.com/po/12345678' }],
};

const REFERENCE_PREHASH =
  'eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00epcListepc=https://id.gs1.org/01/10614141073464/21/2017epc=https://id.gs1.org/01/10614141073464/21/2018action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transitreadPointid=https://id.gs1.org/414/0614141073467/254/1234bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction=http://transaction.acme.com/po/12345678';
const REFERENCE_DIGEST = 'ffa491b16867e34a7791a8d5389d826afc24e63a121026b6a4004ace38631b4b';

const BASE = {
  type: 'ObjectEvent',
  eventTime: '2025-01-15T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
  action: 'OBSERVE',
};

describe('CBV 2.0 event hash ID', () => {
  it('reproduces the published reference pre-hash string exactly', () => {
    expect(eventHashPreimage(REFERENCE_EVENT)).toBe(REFERENCE_PREHASH);
  });

  it('reproduces the published reference digest', () => {
    expect(createHash('sha256').update(REFERENCE_PREHASH, 'utf8').digest('hex')).toBe(REFERENCE_DIGEST);
    expect(computeEventHashId(REFERENCE_EVENT)).toBe(`ni:///sha-256;${REFERENCE_DIGEST}?ver=CBV2.0`);
  });

  it('gives the reference hash for the reference document parsed from its JSON text', () => {
    const doc = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { gs1: 'https://gs1.org/voc/' }],
      id: 'https://id.example.org/document1',
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2022-02-17T11:30:47.0Z',
      epcisBody: { eventList: [REFERENCE_EVENT] },
    };
    const result = parseEpcisPayload(JSON.stringify(doc, null, 2));
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.events[0].hashId).toBe(`ni:///sha-256;${REFERENCE_DIGEST}?ver=CBV2.0`);
    expect(result.events[0].eventId).toBe(result.events[0].hashId);
    expect(result.events[0].eventIdGiven).toBe(false);
  });

  it('is the same for the URN and the Digital Link spelling of the same identifiers', () => {
    const dl = {
      ...REFERENCE_EVENT,
      epcList: [
        'https://example.com/resolver/01/10614141073464/21/2018?linkType=all',
        'https://id.gs1.org/01/10614141073464/21/2017',
      ],
      readPoint: { id: 'https://id.gs1.org/414/0614141073467/254/1234' },
    };
    expect(computeEventHashId(dl)).toBe(computeEventHashId(REFERENCE_EVENT));
  });

  it('is the same for the URN, web URI and bare-word spelling of CBV values', () => {
    const urns = {
      ...REFERENCE_EVENT,
      bizStep: 'urn:epcglobal:cbv:bizstep:shipping',
      disposition: 'https://ref.gs1.org/cbv/Disp-in_transit',
      bizTransactionList: [{ type: 'urn:epcglobal:cbv:btt:po', bizTransaction: 'http://transaction.acme.com/po/12345678' }],
    };
    expect(computeEventHashId(urns)).toBe(computeEventHashId(REFERENCE_EVENT));
  });

  it.each([
    ['eventID', { eventID: 'urn:uuid:6b1f0c2e-6a43-4d0b-9a53-0f3f8a7c2d11' }],
    ['recordTime', { recordTime: '2025-01-16T00:00:00Z' }],
    ['errorDeclaration', { errorDeclaration: { declarationTime: '2025-02-01T00:00:00Z', reason: 'incorrect_data' } }],
    ['@context', { '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld' }],
    ['certificationInfo', { certificationInfo: 'https://cert.example.com/1' }],
    ['rdfs:comment', { 'rdfs:comment': 'a note for people' }],
    ['rdfs:comment as a full IRI', { 'http://www.w3.org/2000/01/rdf-schema#comment': 'a note' }],
  ])('ignores %s', (_name, extra) => {
    expect(computeEventHashId({ ...BASE, ...extra })).toBe(computeEventHashId(BASE));
  });

  it('ignores rdfs:comment inside extension structures too', () => {
    const data = { 'ex:v': 1 };
    expect(computeEventHashId({ ...BASE, 'ex:data': { ...data, 'rdfs:comment': 'n' } })).toBe(computeEventHashId({ ...BASE, 'ex:data': data }));
  });

  it.each([
    ['2025-01-15T08:00:00.000+08:00', '2025-01-15T00:00:00Z'],
    ['2025-01-15T08:00:00.000+08:00', '2025-01-14T19:00:00.0000-05:00'],
    ['2025-01-15T00:00:03.1415Z', '2025-01-15T00:00:03.142Z'],
    ['2025-01-15T00:00:03.1414999Z', '2025-01-15T00:00:03.141Z'],
    ['2025-01-15T00:00:00.9996Z', '2025-01-15T00:00:01Z'],
    ['2025-01-15t00:00:00z', '2025-01-15T00:00:00.000Z'],
  ])('treats eventTime %s and %s as the same instant', (a, b) => {
    expect(computeEventHashId({ ...BASE, eventTime: a })).toBe(computeEventHashId({ ...BASE, eventTime: b }));
  });

  it('writes timestamps in UTC with millisecond precision, rounding half-up', () => {
    expect(eventHashPreimage({ ...BASE, eventTime: '2020-03-04T11:00:03.1415+01:00' })).toContain(
      'eventTime=2020-03-04T10:00:03.142Z',
    );
  });

  it('differs when a hashed field differs', () => {
    const h = computeEventHashId(BASE);
    expect(computeEventHashId({ ...BASE, eventTime: '2025-01-15T08:00:00.001+08:00' })).not.toBe(h);
    expect(computeEventHashId({ ...BASE, eventTimeZoneOffset: '+09:00' })).not.toBe(h);
    expect(computeEventHashId({ ...BASE, action: 'ADD' })).not.toBe(h);
    expect(computeEventHashId({ ...BASE, epcList: ['urn:epc:id:sgtin:0614141.107346.2019'] })).not.toBe(h);
    expect(computeEventHashId({ ...BASE, bizStep: 'receiving' })).not.toBe(h);
    expect(computeEventHashId({ ...BASE, 'example:note': 'x' })).not.toBe(h);
    expect(computeEventHashId({ ...BASE, type: 'TransactionEvent' })).not.toBe(h);
  });

  it('trims whitespace around values', () => {
    const spaced = { ...BASE, action: ' OBSERVE ', epcList: ['  urn:epc:id:sgtin:0614141.107346.2018\n'] };
    expect(computeEventHashId(spaced)).toBe(computeEventHashId(BASE));
  });

  it('writes numbers without trailing zeros', () => {
    const q = (quantity: unknown) => ({
      ...BASE,
      epcList: undefined,
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity, uom: 'KGM' }],
    });
    expect(eventHashPreimage(q(500))).toContain(
      'quantityListquantityElementepcClass=https://id.gs1.org/01/04012345111118/10/LOT1quantity=500uom=KGM',
    );
    expect(eventHashPreimage(q(1.5))).toContain('quantity=1.5uom');
    expect(computeEventHashId(q(500))).toBe(computeEventHashId(q(500.0)));
    expect(computeEventHashId(q('500.00'))).toBe(computeEventHashId(q(500)));
  });

  it('orders the fixed properties canonically', () => {
    const pre = eventHashPreimage({
      type: 'AggregationEvent',
      eventTime: '2025-01-15T08:05:00.000+08:00',
      eventTimeZoneOffset: '+08:00',
      parentID: 'urn:epc:id:sscc:0614141.1234567890',
      childEPCs: ['urn:epc:id:sgtin:0614141.107346.2019', 'urn:epc:id:sgtin:0614141.107346.2018'],
      action: 'ADD',
      bizStep: 'packing',
      bizLocation: { id: 'urn:epc:id:sgln:0614141.00888.0' },
      sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:0614141.00001' }],
      destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:0614141.00002' }],
    });
    expect(pre).toBe(
      'eventType=AggregationEvent' +
        'eventTime=2025-01-15T00:05:00.000ZeventTimeZoneOffset=+08:00' +
        'parentID=https://id.gs1.org/00/106141412345678908' +
        'childEPCsepc=https://id.gs1.org/01/10614141073464/21/2018epc=https://id.gs1.org/01/10614141073464/21/2019' +
        'action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-packing' +
        'bizLocationid=https://id.gs1.org/414/0614141008889' +
        'sourceListtype=https://ref.gs1.org/cbv/SDT-owning_partysource=https://id.gs1.org/417/0614141000012' +
        'destinationListtype=https://ref.gs1.org/cbv/SDT-owning_partydestination=https://id.gs1.org/417/0614141000029',
    );
  });

  it('writes ILMD and extensions as sorted {namespace}name=value after the fixed properties', () => {
    const pre = eventHashPreimage(
      {
        ...BASE,
        action: 'ADD',
        'example:zeta': 'z',
        'example:alpha': { 'example:inner': 2, 'example:first': 'a' },
        ilmd: { 'cbvmda:lotNumber': 'LOT1', 'cbvmda:itemExpirationDate': '2026-01-01' },
      },
      { namespaces: { example: 'http://ns.example.com/epcis/' } },
    );
    expect(pre).toMatch(/action=ADD/);
    expect(pre.slice(pre.indexOf('action=ADD') + 'action=ADD'.length)).toBe(
      // cbvmda as the EPCIS context defines it, without a trailing colon (reference vector ObjectEvent_all_possible_fields)
      'ilmd{urn:epcglobal:cbv:mda}itemExpirationDate=2026-01-01{urn:epcglobal:cbv:mda}lotNumber=LOT1' +
        '{http://ns.example.com/epcis/}alpha{http://ns.example.com/epcis/}first=a{http://ns.example.com/epcis/}inner=2' +
        '{http://ns.example.com/epcis/}zeta=z',
    );
  });

  it('resolves extension prefixes from the event @context', () => {
    const withContext = { ...BASE, '@context': [{ ex: 'http://ns.example.com/epcis/' }], 'ex:foo': 'bar' };
    const fullIri = { ...BASE, 'http://ns.example.com/epcis/foo': 'bar' };
    expect(eventHashPreimage(withContext)).toContain('{http://ns.example.com/epcis/}foo=bar');
    expect(computeEventHashId(withContext)).toBe(computeEventHashId(fullIri));
  });

  it('folds the case of hdl: prefixes', () => {
    const a = { ...BASE, epcList: ['hdl:88.118.8/Bottle-1'] };
    const b = { ...BASE, epcList: ['HDL:88.118.8/Bottle-1'] };
    expect(computeEventHashId(a)).toBe(computeEventHashId(b));
    expect(computeEventHashId({ ...BASE, epcList: ['hdl:88.118.8/bottle-1'] })).not.toBe(computeEventHashId(a));
  });

  it('includes sensor data in its fixed order', () => {
    const pre = eventHashPreimage({
      ...BASE,
      sensorElementList: [
        {
          sensorMetadata: { time: '2019-04-02T14:05:00.000+01:00', deviceID: 'urn:epc:id:giai:4000001.111' },
          sensorReport: [
            { type: 'Temperature', value: 26.0, uom: 'CEL' },
            { type: 'gs1:AbsoluteHumidity', value: 12.1, uom: 'A93' },
          ],
        },
      ],
    });
    // CBV 2.0: no sensorElementList wrapper; measurement types as GS1 web vocabulary IRIs on ref.gs1.org
    // (reference generator, expected/CBV2.0/epcisDocWithSensorComponent and CertificationInfoAndSensorReportWithCRS)
    expect(pre).toContain(
      'action=OBSERVE' +
        'sensorElementsensorMetadatatime=2019-04-02T13:05:00.000ZdeviceID=https://id.gs1.org/8004/4000001111' +
        'sensorReporttype=https://ref.gs1.org/voc/AbsoluteHumidityvalue=12.1uom=A93' +
        'sensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=26uom=CEL',
    );
  });

  describe('CBV 2.0 rules checked against the reference generator', () => {
    const SENSOR_BASE = {
      type: 'ObjectEvent',
      eventTime: '2022-04-07T10:00:00.000Z',
      eventTimeZoneOffset: '+01:00',
      readPoint: { id: 'urn:epc:id:sgln:4012345.00005.0' },
    };

    it('writes user extensions found inside standard structures after the standard fields', () => {
      const pre = eventHashPreimage(
        {
          ...SENSOR_BASE,
          readPoint: { id: 'urn:epc:id:sgln:4012345.00005.0', 'ex:dock': '7' },
          sensorElementList: [
            {
              sensorMetadata: { time: '2022-04-07T10:05:00Z', 'ex:m': 'meta' },
              sensorReport: [{ type: 'Temperature', value: 3, uom: 'CEL', 'ex:r': 'rep' }],
            },
          ],
          'ex:top': 'x',
        },
        { namespaces: { ex: 'https://ns.example.com/' } },
      );
      expect(pre).toBe(
        'eventType=ObjectEventeventTime=2022-04-07T10:00:00.000ZeventTimeZoneOffset=+01:00' +
          'readPointid=https://id.gs1.org/414/4012345000054' +
          'sensorElementsensorMetadatatime=2022-04-07T10:05:00.000ZsensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=3uom=CEL' +
          // the tail: nested extensions in property order (readPoint…, sensorElement…), then the event's own
          'readPoint{https://ns.example.com/}dock=7' +
          'sensorElementsensorMetadata{https://ns.example.com/}m=metasensorReport{https://ns.example.com/}r=rep' +
          '{https://ns.example.com/}top=x',
      );
    });

    it('writes each sensor element without a sensorElementList wrapper, elements and reports sorted', () => {
      const element = (value: number) => ({ sensorReport: [{ type: 'Temperature', value, uom: 'CEL' }] });
      const pre = eventHashPreimage({ ...SENSOR_BASE, sensorElementList: [element(9), element(10)] });
      expect(pre.slice(pre.indexOf('sensorElement'))).toBe(
        'sensorElementsensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=10uom=CEL' +
          'sensorElementsensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=9uom=CEL',
      );
    });

    it.each([
      ['Temperature'],
      ['gs1:Temperature'],
      ['https://gs1.org/voc/Temperature'],
      ['https://ref.gs1.org/voc/Temperature'],
    ])('expands the measurement type %s to https://ref.gs1.org/voc/Temperature', (type) => {
      const pre = eventHashPreimage({ ...SENSOR_BASE, sensorElementList: [{ sensorReport: [{ type, exception: 'ALARM_CONDITION' }] }] });
      expect(pre).toContain('sensorReporttype=https://ref.gs1.org/voc/Temperatureexception=https://ref.gs1.org/voc/ALARM_CONDITION');
    });

    it.each([['latitude'], ['cbv:Comp-latitude'], ['https://ref.gs1.org/cbv/Comp-latitude']])(
      'expands the sensor component %s to the CBV web URI',
      (component) => {
        const pre = eventHashPreimage({
          ...SENSOR_BASE,
          sensorElementList: [{ sensorReport: [{ type: 'gs1:Angle', value: 42.5, component, uom: 'DD' }] }],
        });
        expect(pre).toContain('sensorReporttype=https://ref.gs1.org/voc/Anglevalue=42.5component=https://ref.gs1.org/cbv/Comp-latitudeuom=DD');
      },
    );

    it('leaves user CURIEs in values as written, even when the context declares their prefix', () => {
      const pre = eventHashPreimage(
        {
          ...SENSOR_BASE,
          sensorElementList: [
            { sensorMetadata: { deviceID: 'dev:thermo-1' }, sensorReport: [{ type: 'dev:Viscosity', component: 'dev:core' }] },
          ],
        },
        { namespaces: { dev: 'https://devices.example.com/' } },
      );
      expect(pre).toContain('sensorMetadatadeviceID=dev:thermo-1sensorReporttype=dev:Viscositycomponent=dev:core');
    });

    it('writes ILMD first in the tail, then nested extensions in property order, then the event extensions', () => {
      const pre = eventHashPreimage(
        {
          ...SENSOR_BASE,
          action: 'ADD',
          readPoint: { id: 'urn:epc:id:sgln:4012345.00005.0', 'ex:r': '1' },
          bizLocation: { id: 'urn:epc:id:sgln:4012345.00005.0', 'ex:b': '2' },
          ilmd: { 'ex:lot': 'L1' },
          'ex:a': '3',
        },
        { namespaces: { ex: 'https://ns.example.com/' } },
      );
      expect(pre.slice(pre.indexOf('bizLocationid='))).toBe(
        'bizLocationid=https://id.gs1.org/414/4012345000054' +
          'ilmd{https://ns.example.com/}lot=L1' +
          'readPoint{https://ns.example.com/}r=1bizLocation{https://ns.example.com/}b=2' +
          '{https://ns.example.com/}a=3',
      );
    });

    it.each([['receiving'], ['cbv:BizStep-receiving'], ['urn:epcglobal:cbv:bizstep:receiving'], ['https://ref.gs1.org/cbv/BizStep-receiving']])(
      'writes the bizStep %s as https://ref.gs1.org/cbv/BizStep-receiving',
      (bizStep) => {
        expect(eventHashPreimage({ ...BASE, bizStep })).toContain('bizStep=https://ref.gs1.org/cbv/BizStep-receiving');
      },
    );

    it('writes sourceList before destinationList, each entry type first, entries sorted whatever their input order', () => {
      const destinations = [
        { type: 'possessing_party', destination: 'urn:epc:id:pgln:4000001.98765' },
        { type: 'location', destination: 'urn:epc:id:sgln:4012345.00012.0' },
      ];
      const event = {
        ...BASE,
        destinationList: destinations,
        sourceList: [{ type: 'possessing_party', source: 'urn:epc:id:pgln:5200001.00000' }],
      };
      const expected =
        'sourceListtype=https://ref.gs1.org/cbv/SDT-possessing_partysource=https://id.gs1.org/417/5200001000008' +
        'destinationListtype=https://ref.gs1.org/cbv/SDT-locationdestination=https://id.gs1.org/414/4012345000122' +
        'type=https://ref.gs1.org/cbv/SDT-possessing_partydestination=https://id.gs1.org/417/4000001987658';
      expect(eventHashPreimage(event)).toContain(expected);
      expect(eventHashPreimage({ ...event, destinationList: [...destinations].reverse() })).toContain(expected);
    });

    it('leaves certificationInfo out, as the current reference generator and OpenEPCIS do', () => {
      const pre = eventHashPreimage({ ...BASE, certificationInfo: 'https://accreditation-council.example.org/certificate/ABC12345' });
      expect(pre).not.toContain('certificationInfo');
      expect(pre).not.toContain('ABC12345');
    });

    it('gives class-level and pattern identifiers in quantity lists their Digital Link forms', () => {
      const pre = eventHashPreimage({
        ...BASE,
        epcList: undefined,
        quantityList: [
          { epcClass: 'urn:epc:idpat:cpi:4012345.ABC.*', quantity: 2 },
          { epcClass: 'urn:epc:idpat:sgtin:4012345.*.*', quantity: 1 },
        ],
      });
      expect(pre).toContain(
        'quantityListquantityElementepcClass=https://id.gs1.org/8010/4012345ABCquantity=2' +
          'quantityElementepcClass=urn:epc:idpat:sgtin:4012345.*.*quantity=1',
      );
    });
  });

  describe('undeclaredPrefixes', () => {
    it('lists the CURIE prefixes of field names that neither the defaults, the event @context nor the caller declare', () => {
      const event = {
        ...BASE,
        'ex:a': { 'other:b': 1, 'cbvmda:lotNumber': 'L1' },
        ilmd: { 'gs1:x': 1 },
        readPoint: { id: 'urn:epc:id:sgln:0614141.00777.0', 'mine:dock': 'x' },
        'https://ns.example.com/full': 1,
      };
      expect(undeclaredPrefixes(event)).toEqual(['ex', 'mine', 'other']);
      expect(undeclaredPrefixes(event, { ex: 'https://ex/', other: 'https://other/' })).toEqual(['mine']);
      expect(undeclaredPrefixes({ ...event, '@context': [{ mine: 'https://mine/' }] }, { ex: 'e', other: 'o' })).toEqual([]);
    });
  });

  describe('properties', () => {
    const epc = fc
      .tuple(fc.integer({ min: 0, max: 999999 }), fc.stringMatching(/^[A-Za-z0-9]{1,12}$/))
      .map(([item, serial]) => `urn:epc:id:sgtin:0614141.${String(item).padStart(6, '0')}.${serial}`);

    it('does not depend on the order of list members', () => {
      fc.assert(
        fc.property(fc.uniqueArray(epc, { minLength: 1, maxLength: 20 }), fc.integer(), (epcs, seed) => {
          const shuffled = [...epcs].sort((a, b) => ((hashCode(a) ^ seed) - (hashCode(b) ^ seed)));
          const reversed = [...epcs].reverse();
          const h = computeEventHashId({ ...BASE, epcList: epcs });
          expect(computeEventHashId({ ...BASE, epcList: shuffled })).toBe(h);
          expect(computeEventHashId({ ...BASE, epcList: reversed })).toBe(h);
        }),
        { numRuns: 100 },
      );
    });

    it('does not depend on key order or JSON whitespace', () => {
      const event: Record<string, unknown> = {
        ...REFERENCE_EVENT,
        quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: 5, uom: 'KGM' }],
        'example:ext': { 'example:b': '1', 'example:a': ['x', 'y'] },
      };
      const h = computeEventHashId(event);
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 0, max: 4 }), (seed, indent) => {
          const permuted = permuteKeys(event, seed);
          const reparsed = JSON.parse(JSON.stringify(permuted, null, indent)) as Record<string, unknown>;
          expect(computeEventHashId(reparsed)).toBe(h);
        }),
        { numRuns: 100 },
      );
    });

    it('never throws on arbitrary JSON values', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), (obj) => {
          expect(computeEventHashId(obj)).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
        }),
        { numRuns: 200 },
      );
    });
  });
});

function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/** Deterministically re-orders keys of every object (and the members of every array) by a seed. */
function permuteKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => permuteKeys(v, seed)).sort((a, b) => (hashCode(JSON.stringify(a)) ^ seed) - (hashCode(JSON.stringify(b)) ^ seed));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(
      ([a], [b]) => (hashCode(a) ^ seed) - (hashCode(b) ^ seed),
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, permuteKeys(v, seed)]));
  }
  return value;
}
