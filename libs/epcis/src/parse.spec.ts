import fc from 'fast-check';
import { computeEventHashId } from './hash';
import { parseEpcisPayload } from './parse';
import { DEFAULT_EPCIS_LIMITS, EpcisLimits, EpcisProblem, NormalisedEvent } from './types';

const CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

function doc(...events: unknown[]): Record<string, unknown> {
  return {
    '@context': [CONTEXT],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-01-15T08:00:00.000+08:00',
    epcisBody: { eventList: events },
  };
}

// epcis-mqtt.md §1.4
const SMALLEST_DOCUMENT = {
  '@context': [CONTEXT],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2025-01-15T08:00:00.000+08:00',
  epcisBody: {
    eventList: [
      {
        type: 'ObjectEvent',
        eventTime: '2025-01-15T08:00:00.000+08:00',
        eventTimeZoneOffset: '+08:00',
        epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
        action: 'OBSERVE',
      },
    ],
  },
};
const SHIPPING = {
  type: 'ObjectEvent',
  eventID: 'urn:uuid:6b1f0c2e-6a43-4d0b-9a53-0f3f8a7c2d11',
  eventTime: '2025-01-15T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  epcList: ['https://id.gs1.org/01/09506000134352/21/2018'],
  action: 'OBSERVE',
  bizStep: 'shipping',
  disposition: 'in_transit',
  readPoint: { id: 'https://id.gs1.org/414/9506000134376/254/1' },
  bizLocation: { id: 'https://id.gs1.org/414/9506000134376' },
  bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:9506000134376:PO-77' }],
};
const PACKING = {
  type: 'AggregationEvent',
  eventTime: '2025-01-15T08:05:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  parentID: 'urn:epc:id:sscc:0614141.1234567890',
  childEPCs: ['urn:epc:id:sgtin:0614141.107346.2018', 'urn:epc:id:sgtin:0614141.107346.2019'],
  action: 'ADD',
  bizStep: 'packing',
};
const PRODUCTION = {
  type: 'TransformationEvent',
  eventTime: '2025-01-15T07:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  inputQuantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: 500, uom: 'KGM' }],
  outputEPCList: ['urn:epc:id:sgtin:0614141.107346.2018'],
  bizStep: 'commissioning',
};

const OBJECT = {
  type: 'ObjectEvent',
  eventTime: '2025-01-15T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
  action: 'OBSERVE',
};
const TRANSACTION = {
  type: 'TransactionEvent',
  eventTime: '2025-01-15T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:9506000134376:PO-77' }],
  epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
  action: 'ADD',
};
const ASSOCIATION = {
  type: 'AssociationEvent',
  eventTime: '2025-01-15T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  parentID: 'urn:epc:id:grai:4000001.12345.400',
  childEPCs: ['urn:epc:id:giai:4000001.111'],
  action: 'ADD',
};

function parse(payload: unknown, limits?: Partial<EpcisLimits>) {
  return parseEpcisPayload(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), limits);
}

function accepted(payload: unknown, limits?: Partial<EpcisLimits>): NormalisedEvent[] {
  const result = parse(payload, limits);
  if (!result.ok) throw new Error(`expected the payload to be accepted: ${JSON.stringify(result.problems, null, 2)}`);
  return result.events;
}

function problemsOf(payload: unknown, limits?: Partial<EpcisLimits>): EpcisProblem[] {
  const result = parse(payload, limits);
  if (result.ok) throw new Error('expected the payload to be rejected');
  return result.problems;
}

function without<T extends Record<string, unknown>>(obj: T, ...keys: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}

describe('parseEpcisPayload: valid payloads', () => {
  it.each([
    ['the smallest ObjectEvent document', SMALLEST_DOCUMENT],
    ['the shipping event on its own', SHIPPING],
    ['packing and production in one envelope', doc(PACKING, PRODUCTION)],
    ['a TransactionEvent', TRANSACTION],
    ['an AssociationEvent', ASSOCIATION],
    ['every event type together', doc(OBJECT, SHIPPING, PACKING, PRODUCTION, TRANSACTION, ASSOCIATION)],
  ])('accepts %s', (_name, payload) => {
    expect(accepted(payload).length).toBeGreaterThan(0);
  });

  it('accepts a Buffer and a UTF-8 BOM', () => {
    expect(accepted(Buffer.from(`\ufeff${JSON.stringify(SMALLEST_DOCUMENT)}`, 'utf8'))).toHaveLength(1);
  });

  it('accepts an empty eventList', () => {
    expect(accepted(doc())).toEqual([]);
  });

  it.each([
    ['ObjectEvent with an empty epcList', { ...OBJECT, epcList: [] }],
    ['ObjectEvent with only a quantityList', { ...without(OBJECT, 'epcList'), quantityList: [{ epcClass: 'urn:epc:idpat:sgtin:4012345.098765.*' }] }],
    ['ObjectEvent with sensor data and a readPoint', {
      ...without(OBJECT, 'epcList'),
      readPoint: { id: 'urn:epc:id:sgln:4012345.00005.0' },
      sensorElementList: [{ sensorMetadata: { time: '2025-01-15T08:00:00Z' }, sensorReport: [{ type: 'Temperature', value: 4.5, uom: 'CEL' }] }],
    }],
    ['ObjectEvent ADD with ilmd', { ...OBJECT, action: 'ADD', ilmd: { 'cbvmda:lotNumber': 'LOT1' } }],
    ['AggregationEvent DELETE without children', { ...without(PACKING, 'childEPCs'), action: 'DELETE' }],
    ['AggregationEvent OBSERVE without parentID', { ...without(PACKING, 'parentID'), action: 'OBSERVE' }],
    ['TransactionEvent DELETE without EPCs', { ...without(TRANSACTION, 'epcList'), action: 'DELETE' }],
    ['TransformationEvent with inputs and a transformationID only', {
      ...without(PRODUCTION, 'outputEPCList'), transformationID: 'urn:uuid:0f0e2b4c-1111-4444-8888-123456789abc',
    }],
    ['TransformationEvent with ilmd', { ...PRODUCTION, ilmd: { 'example:batch': 'B1' } }],
    ['an errorDeclaration', {
      ...OBJECT,
      errorDeclaration: {
        declarationTime: '2025-02-01T00:00:00Z', reason: 'incorrect_data',
        correctiveEventIDs: ['urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8'], 'example:note': 'x',
      },
    }],
    ['namespaced extension fields', { ...OBJECT, 'example:myField': { 'example:sub': [1, 2] }, 'https://ns.example.com/x': 'y' }],
    ['hdl: identifiers', { ...OBJECT, epcList: ['hdl:88.118.8/Bottle-1'], readPoint: { id: 'hdl:88.118.8/line-3' } }],
    ['user-vocabulary URIs', { ...OBJECT, bizStep: 'https://idis.example.cn/bizstep/fermenting', disposition: 'urn:example:disp:aging' }],
    ['CBV URN and web URI values', { ...OBJECT, bizStep: 'urn:epcglobal:cbv:bizstep:receiving', disposition: 'https://ref.gs1.org/cbv/Disp-active' }],
    ['Digital Links on another host and with short names', {
      ...OBJECT, epcList: ['https://brand.example.com/products/01/09506000134352/21/2018?x=1', 'https://example.org/gtin/9506000134352/ser/7'],
    }],
    ['other absolute URIs as identifiers', { ...OBJECT, epcList: ['urn:uuid:8c1b2c3d-0000-4000-8000-000000000001', 'urn:gdst:example.org:product:lot:1'] }],
    ['GTIN-level and lot-level Digital Links as epcClass', {
      ...without(OBJECT, 'epcList'),
      quantityList: [
        { epcClass: 'https://id.gs1.org/01/09506000134352/10/LOT1', quantity: 3 },
        { epcClass: 'https://id.gs1.org/01/09506000134352', quantity: 1.5, uom: 'KGM' },
        { epcClass: 'hdl:88.118.8/lot-7' },
      ],
    }],
    ['persistentDisposition', { ...OBJECT, persistentDisposition: { set: ['completeness_verified'], unset: ['completeness_inferred'] } }],
    ['source and destination lists', {
      ...OBJECT,
      sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:0614141.00001' }],
      destinationList: [{ type: 'location', destination: 'urn:epc:id:sgln:0614141.00777.0' }],
    }],
    ['certificationInfo as a URI and as a list', { ...OBJECT, certificationInfo: ['https://cert.example.com/1'] }],
    ['the extreme time zone offsets', { ...OBJECT, eventTimeZoneOffset: '-13:59' }],
    ['+14:00', { ...OBJECT, eventTimeZoneOffset: '+14:00' }],
    ['an event-level @context', { ...OBJECT, '@context': [CONTEXT, { ex: 'https://ns.example.com/' }], 'ex:f': 1 }],
  ])('accepts %s', (_name, event) => {
    expect(accepted(doc(event))).toHaveLength(1);
    expect(accepted(event)).toHaveLength(1);
  });
});

describe('parseEpcisPayload: rule violations', () => {
  const E = '$.epcisBody.eventList[0]';
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing type', without(OBJECT, 'type'), `${E}.type`, /type is required/],
    ['unknown event type', { ...OBJECT, type: 'FooEvent' }, `${E}.type`, /unsupported event type "FooEvent"/],
    ['missing eventTime', without(OBJECT, 'eventTime'), `${E}.eventTime`, /eventTime is required/],
    ['eventTime without offset', { ...OBJECT, eventTime: '2025-01-15T08:00:00' }, `${E}.eventTime`, /ISO 8601 date-time with an offset/],
    ['eventTime not a date', { ...OBJECT, eventTime: '2025-02-30T08:00:00Z' }, `${E}.eventTime`, /ISO 8601/],
    ['eventTime a number', { ...OBJECT, eventTime: 1736899200000 }, `${E}.eventTime`, /ISO 8601/],
    ['missing eventTimeZoneOffset', without(OBJECT, 'eventTimeZoneOffset'), `${E}.eventTimeZoneOffset`, /required/],
    ['offset without leading zero', { ...OBJECT, eventTimeZoneOffset: '+8:00' }, `${E}.eventTimeZoneOffset`, /"\+08:00"/],
    ['offset beyond +14:00', { ...OBJECT, eventTimeZoneOffset: '+14:30' }, `${E}.eventTimeZoneOffset`, /must look like/],
    ['offset Z', { ...OBJECT, eventTimeZoneOffset: 'Z' }, `${E}.eventTimeZoneOffset`, /must look like/],
    ['bad recordTime', { ...OBJECT, recordTime: 'yesterday' }, `${E}.recordTime`, /ISO 8601/],
    ['eventID not a URI', { ...OBJECT, eventID: 'event-1' }, `${E}.eventID`, /absolute URI/],
    ['certificationInfo not a URI', { ...OBJECT, certificationInfo: [5] }, `${E}.certificationInfo[0]`, /URI/],
    ['errorDeclaration not an object', { ...OBJECT, errorDeclaration: 'oops' }, `${E}.errorDeclaration`, /must be an object/],
    ['errorDeclaration without declarationTime', { ...OBJECT, errorDeclaration: { reason: 'incorrect_data' } }, `${E}.errorDeclaration.declarationTime`, /required/],
    ['errorDeclaration with an unknown reason', { ...OBJECT, errorDeclaration: { declarationTime: '2025-02-01T00:00:00Z', reason: 'oops' } }, `${E}.errorDeclaration.reason`, /not a CBV 2.0 errorReason/],
    ['errorDeclaration with a bad corrective ID', { ...OBJECT, errorDeclaration: { declarationTime: '2025-02-01T00:00:00Z', correctiveEventIDs: ['not a uri'] } }, `${E}.errorDeclaration.correctiveEventIDs[0]`, /absolute URI/],
    ['errorDeclaration with an unknown field', { ...OBJECT, errorDeclaration: { declarationTime: '2025-02-01T00:00:00Z', note: 'x' } }, `${E}.errorDeclaration.note`, /namespaced/],
    ['unknown top-level field', { ...OBJECT, colour: 'red' }, `${E}.colour`, /unknown field "colour" in a ObjectEvent; extension fields must be namespaced/],
    ['field of another event type', { ...OBJECT, childEPCs: [] }, `${E}.childEPCs`, /"childEPCs" is not allowed in a ObjectEvent/],
    ['ObjectEvent without action', without(OBJECT, 'action'), `${E}.action`, /action is required/],
    ['AggregationEvent without action', without(PACKING, 'action'), `${E}.action`, /action is required/],
    ['TransactionEvent without action', without(TRANSACTION, 'action'), `${E}.action`, /action is required/],
    ['AssociationEvent without action', without(ASSOCIATION, 'action'), `${E}.action`, /action is required/],
    ['unknown action', { ...OBJECT, action: 'UPDATE' }, `${E}.action`, /ADD, OBSERVE or DELETE/],
    ['lower-case action', { ...OBJECT, action: 'add' }, `${E}.action`, /ADD, OBSERVE or DELETE/],
    ['TransformationEvent with action', { ...PRODUCTION, action: 'ADD' }, `${E}.action`, /must not have an action/],
    ['unknown bizStep word', { ...OBJECT, bizStep: 'shipped' }, `${E}.bizStep`, /not a CBV 2.0 bizStep/],
    ['unknown bizStep URN', { ...OBJECT, bizStep: 'urn:epcglobal:cbv:bizstep:shipped' }, `${E}.bizStep`, /not a CBV 2.0 bizStep/],
    ['unknown bizStep web URI', { ...OBJECT, bizStep: 'https://ref.gs1.org/cbv/BizStep-shipped' }, `${E}.bizStep`, /not a CBV 2.0 bizStep/],
    ['bizStep in the reserved namespace', { ...OBJECT, bizStep: 'urn:epcglobal:cbv:other:x' }, `${E}.bizStep`, /reserved CBV namespace/],
    ['bizStep not a string', { ...OBJECT, bizStep: 5 }, `${E}.bizStep`, /must be a string/],
    ['unknown disposition', { ...OBJECT, disposition: 'broken' }, `${E}.disposition`, /not a CBV 2.0 disposition/],
    ['a bizStep word as disposition', { ...OBJECT, disposition: 'shipping' }, `${E}.disposition`, /not a CBV 2.0 disposition/],
    ['empty persistentDisposition', { ...OBJECT, persistentDisposition: {} }, `${E}.persistentDisposition`, /at least one/],
    ['bad persistentDisposition value', { ...OBJECT, persistentDisposition: { set: ['nope'] } }, `${E}.persistentDisposition.set[0]`, /disposition/],
    ['readPoint as a string', { ...OBJECT, readPoint: 'urn:epc:id:sgln:0614141.00777.0' }, `${E}.readPoint`, /must be an object/],
    ['readPoint without id', { ...OBJECT, readPoint: {} }, `${E}.readPoint.id`, /required/],
    ['readPoint id not a URI', { ...OBJECT, readPoint: { id: 'dock 3' } }, `${E}.readPoint.id`, /not an absolute URI/],
    ['bizLocation with an unknown field', { ...OBJECT, bizLocation: { id: 'urn:epc:id:sgln:0614141.00777.0', name: 'x' } }, `${E}.bizLocation.name`, /namespaced/],
    ['bizTransactionList not a list', { ...OBJECT, bizTransactionList: {} }, `${E}.bizTransactionList`, /must be a list/],
    ['bizTransaction without value', { ...OBJECT, bizTransactionList: [{ type: 'po' }] }, `${E}.bizTransactionList[0].bizTransaction`, /required/],
    ['bizTransaction with unknown type', { ...OBJECT, bizTransactionList: [{ type: 'order', bizTransaction: 'urn:x:1' }] }, `${E}.bizTransactionList[0].type`, /bizTransactionType/],
    ['bizTransaction not a URI', { ...OBJECT, bizTransactionList: [{ bizTransaction: 'PO 77' }] }, `${E}.bizTransactionList[0].bizTransaction`, /absolute URI/],
    ['source without type', { ...OBJECT, sourceList: [{ source: 'urn:epc:id:pgln:0614141.00001' }] }, `${E}.sourceList[0].type`, /type is required/],
    ['destination without value', { ...OBJECT, destinationList: [{ type: 'owning_party' }] }, `${E}.destinationList[0].destination`, /required/],
    ['source with unknown type', { ...OBJECT, sourceList: [{ type: 'owner', source: 'urn:epc:id:pgln:0614141.00001' }] }, `${E}.sourceList[0].type`, /sourceDestinationType/],
    ['sensorElement without report', { ...OBJECT, sensorElementList: [{}] }, `${E}.sensorElementList[0].sensorReport`, /non-empty list/],
    ['sensorElementList not a list', { ...OBJECT, sensorElementList: {} }, `${E}.sensorElementList`, /must be a list/],
    ['ilmd on OBSERVE', { ...OBJECT, ilmd: { 'cbvmda:lotNumber': 'LOT1' } }, `${E}.ilmd`, /only allowed in an ObjectEvent with action ADD/],
    ['ilmd with a plain field', { ...OBJECT, action: 'ADD', ilmd: { lotNumber: 'LOT1' } }, `${E}.ilmd.lotNumber`, /namespaced/],
    ['epcList not a list', { ...OBJECT, epcList: 'urn:epc:id:sgtin:0614141.107346.2018' }, `${E}.epcList`, /must be a list/],
    ['epcList member not a string', { ...OBJECT, epcList: [5] }, `${E}.epcList[0]`, /must be a string/],
    ['relative identifier', { ...OBJECT, epcList: ['bottle-1'] }, `${E}.epcList[0]`, /not an absolute URI/],
    ['bare handle', { ...OBJECT, epcList: ['88.118.8/bottle-1'] }, `${E}.epcList[0]`, /write it as "hdl:88.118.8\/bottle-1"/],
    ['hdl: without suffix', { ...OBJECT, epcList: ['hdl:88.118.8/'] }, `${E}.epcList[0]`, /invalid handle/],
    ['hdl: with a bad prefix', { ...OBJECT, epcList: ['hdl:88.1 18/x'] }, `${E}.epcList[0]`, /invalid handle/],
    ['truncated SGTIN', { ...OBJECT, epcList: ['urn:epc:id:sgtin:0614141.107346'] }, `${E}.epcList[0]`, /not a valid id:sgtin EPC URN/],
    ['SGTIN with wrong digit count', { ...OBJECT, epcList: ['urn:epc:id:sgtin:0614141.10734.1'] }, `${E}.epcList[0]`, /not a valid id:sgtin/],
    ['EPC tag URI', { ...OBJECT, epcList: ['urn:epc:tag:sgtin-96:3.0614141.107346.1'] }, `${E}.epcList[0]`, /pure-identity EPC URN/],
    ['class URN in an EPC list', { ...OBJECT, epcList: ['urn:epc:class:lgtin:4012345.011111.LOT1'] }, `${E}.epcList[0]`, /class or lot, not one object/],
    ['GTIN-only Digital Link in an EPC list', { ...OBJECT, epcList: ['https://id.gs1.org/01/09506000134352'] }, `${E}.epcList[0]`, /class or lot/],
    ['Digital Link with a wrong check digit', { ...OBJECT, epcList: ['https://id.gs1.org/01/09506000134353/21/1'] }, `${E}.epcList[0]`, /check digit/],
    ['Digital Link with qualifiers out of order', { ...OBJECT, epcList: ['https://id.gs1.org/01/09506000134352/21/1/10/L'] }, `${E}.epcList[0]`, /not allowed here/],
    ['Digital Link with the serial before the GTIN', { ...OBJECT, epcList: ['https://id.gs1.org/21/2018/01/09506000134352'] }, `${E}.epcList[0]`, /must follow the primary key/],
    ['id.gs1.org without a key', { ...OBJECT, epcList: ['https://id.gs1.org/about'] }, `${E}.epcList[0]`, /no GS1 primary key/],
    ['quantity element without epcClass', { ...without(OBJECT, 'epcList'), quantityList: [{ quantity: 1 }] }, `${E}.quantityList[0].epcClass`, /required/],
    ['negative quantity', { ...OBJECT, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: -1 }] }, `${E}.quantityList[0].quantity`, /number ≥ 0/],
    ['quantity as a string', { ...OBJECT, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: '5' }] }, `${E}.quantityList[0].quantity`, /number ≥ 0/],
    ['bad uom', { ...OBJECT, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: 5, uom: 'kg' }] }, `${E}.quantityList[0].uom`, /UN\/ECE/],
    ['uom without quantity', { ...OBJECT, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', uom: 'KGM' }] }, `${E}.quantityList[0].uom`, /together with a quantity/],
    ['instance EPC as epcClass', { ...OBJECT, quantityList: [{ epcClass: 'urn:epc:id:sgtin:0614141.107346.2018', quantity: 1 }] }, `${E}.quantityList[0].epcClass`, /not a class/],
    ['quantity element with an unknown field', { ...OBJECT, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', weight: 1 }] }, `${E}.quantityList[0].weight`, /namespaced/],
    ['ObjectEvent without what', without(OBJECT, 'epcList'), E, /needs an epcList, a non-empty quantityList/],
    ['ObjectEvent with an empty quantityList only', { ...without(OBJECT, 'epcList'), quantityList: [] }, E, /needs an epcList/],
    ['ObjectEvent with sensors but no readPoint', { ...without(OBJECT, 'epcList'), sensorElementList: [{ sensorReport: [{ type: 'Temperature' }] }] }, E, /sensorElementList with a readPoint/],
    ['AggregationEvent ADD without parentID', without(PACKING, 'parentID'), `${E}.parentID`, /parentID is required in an AggregationEvent with action ADD/],
    ['AggregationEvent DELETE without parentID', { ...without(PACKING, 'parentID'), action: 'DELETE' }, `${E}.parentID`, /action DELETE/],
    ['AggregationEvent ADD without children', { ...PACKING, childEPCs: [] }, E, /at least one child/],
    ['AggregationEvent with a class-level parent', { ...PACKING, parentID: 'urn:epc:idpat:sgtin:4012345.098765.*' }, `${E}.parentID`, /class or lot/],
    ['AggregationEvent with epcList', { ...PACKING, epcList: [] }, `${E}.epcList`, /not allowed in a AggregationEvent/],
    ['TransactionEvent without bizTransactionList', without(TRANSACTION, 'bizTransactionList'), `${E}.bizTransactionList`, /non-empty bizTransactionList/],
    ['TransactionEvent with an empty bizTransactionList', { ...TRANSACTION, bizTransactionList: [] }, `${E}.bizTransactionList`, /non-empty bizTransactionList/],
    ['TransactionEvent ADD without EPCs', without(TRANSACTION, 'epcList'), E, /needs an epcList/],
    ['TransformationEvent with only inputs', without(PRODUCTION, 'outputEPCList'), E, /at least one input .* and one output/],
    ['TransformationEvent with empty lists', { ...PRODUCTION, inputQuantityList: [], outputEPCList: [] }, E, /at least one input/],
    ['TransformationEvent with a bad transformationID', { ...PRODUCTION, transformationID: 'T 1' }, `${E}.transformationID`, /absolute URI/],
    ['TransformationEvent with a bad output', { ...PRODUCTION, outputEPCList: ['nope'] }, `${E}.outputEPCList[0]`, /absolute URI/],
    ['TransformationEvent with parentID', { ...PRODUCTION, parentID: 'urn:epc:id:sscc:0614141.1234567890' }, `${E}.parentID`, /not allowed in a TransformationEvent/],
    ['AssociationEvent without parentID', without(ASSOCIATION, 'parentID'), `${E}.parentID`, /parentID is required in an AssociationEvent/],
    ['AssociationEvent ADD without children', without(ASSOCIATION, 'childEPCs'), E, /at least one child/],
    ['a string over the limit', { ...OBJECT, 'example:note': 'x'.repeat(2049) }, `${E}["example:note"]`, /2049 characters; the limit is 2048/],
  ];

  it.each(cases)('rejects %s', (_name, event, path, message) => {
    const problems = problemsOf(doc(event));
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
    expect(problems.every((p) => p.path.startsWith(E))).toBe(true);
  });

  it.each(cases)('rejects %s as a single event too (paths from $)', (_name, event, path) => {
    if (event.type === undefined || event.type === 'FooEvent') return; // covered at $.type below
    const problems = problemsOf(event);
    expect(problems.map((p) => p.path)).toContain(path.replace(E, '$'));
  });

  it('rejects a single event of an unknown type at $.type', () => {
    expect(problemsOf({ ...OBJECT, type: 'FooEvent' })).toEqual([
      { path: '$.type', message: expect.stringMatching(/neither "EPCISDocument" nor an EPCIS event type/) },
    ]);
  });

  it('rejects the whole document for one bad event and names only that event', () => {
    const problems = problemsOf(doc(OBJECT, SHIPPING, { ...PACKING, action: 'MOVE' }, PRODUCTION));
    expect(problems).toEqual([{ path: '$.epcisBody.eventList[2].action', message: expect.any(String) }]);
  });

  it('lists every problem of every event', () => {
    const problems = problemsOf(doc({ ...OBJECT, action: 'X' }, OBJECT, { ...OBJECT, eventTimeZoneOffset: '8', bizStep: 'nope' }));
    expect(problems.map((p) => p.path).sort()).toEqual([
      '$.epcisBody.eventList[0].action',
      '$.epcisBody.eventList[2].bizStep',
      '$.epcisBody.eventList[2].eventTimeZoneOffset',
    ]);
  });

  it('caps the problem list and says how many were left out', () => {
    const bad = { ...OBJECT, epcList: Array.from({ length: 80 }, (_, i) => `bad-${i}`) };
    const problems = problemsOf(doc(bad));
    expect(problems).toHaveLength(51);
    expect(problems[50]).toEqual({ path: '$', message: '30 more problems not listed' });
    expect(problemsOf(doc(bad), { maxProblems: 5 })).toHaveLength(6);
  });
});

describe('parseEpcisPayload: document and payload rules', () => {
  it.each([
    ['missing schemaVersion', without(SMALLEST_DOCUMENT, 'schemaVersion'), '$.schemaVersion', /required/],
    ['EPCIS 1.2', { ...SMALLEST_DOCUMENT, schemaVersion: '1.2' }, '$.schemaVersion', /"2.0"/],
    ['numeric schemaVersion', { ...SMALLEST_DOCUMENT, schemaVersion: 2.0 }, '$.schemaVersion', /"2.0"/],
    ['missing creationDate', without(SMALLEST_DOCUMENT, 'creationDate'), '$.creationDate', /required/],
    ['bad creationDate', { ...SMALLEST_DOCUMENT, creationDate: '15/01/2025' }, '$.creationDate', /ISO 8601/],
    ['missing epcisBody', without(SMALLEST_DOCUMENT, 'epcisBody'), '$.epcisBody', /required/],
    ['missing eventList', { ...SMALLEST_DOCUMENT, epcisBody: {} }, '$.epcisBody.eventList', /required/],
    ['eventList not a list', { ...SMALLEST_DOCUMENT, epcisBody: { eventList: {} } }, '$.epcisBody.eventList', /list of events/],
    ['unknown epcisBody field', { ...SMALLEST_DOCUMENT, epcisBody: { eventList: [], queryResults: {} } }, '$.epcisBody.queryResults', /unknown field/],
    ['unknown document field', { ...SMALLEST_DOCUMENT, author: 'me' }, '$.author', /namespaced/],
    ['event that is not an object', doc('ObjectEvent'), '$.epcisBody.eventList[0]', /must be a JSON object/],
  ])('rejects %s', (_name, payload, path, message) => {
    expect(problemsOf(payload)).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each([
    ['invalid JSON', '{"type": "EPCISDocument",', /not valid JSON/],
    ['a JSON array', '[]', /must be a JSON object/],
    ['a JSON string', '"ObjectEvent"', /must be a JSON object/],
    ['null', 'null', /must be a JSON object/],
    ['an empty payload', '', /not valid JSON/],
  ])('rejects %s at $', (_name, payload, message) => {
    expect(problemsOf(payload)).toEqual([{ path: '$', message: expect.stringMatching(message) }]);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{"type":"ObjectEvent","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(parseEpcisPayload(bytes)).toEqual({ ok: false, problems: [{ path: '$', message: 'payload is not valid UTF-8' }] });
  });

  it('rejects a payload over the size limit before parsing it', () => {
    const big = JSON.stringify(doc({ ...OBJECT, 'example:pad': 'x'.repeat(2000) }));
    expect(problemsOf(big, { maxPayloadBytes: 1000 })).toEqual([
      { path: '$', message: `payload is ${Buffer.byteLength(big)} bytes; the limit is 1000` },
    ]);
    expect(problemsOf('x'.repeat(DEFAULT_EPCIS_LIMITS.maxPayloadBytes + 1))[0].message).toMatch(/limit is 1048576/);
  });

  it('counts the size limit in UTF-8 bytes', () => {
    const payload = JSON.stringify({ ...OBJECT, 'example:name': '葡萄酒'.repeat(100) });
    const bytes = Buffer.byteLength(payload);
    expect(payload.length).toBeLessThan(bytes);
    expect(parse(payload, { maxPayloadBytes: bytes }).ok).toBe(true);
    expect(parse(payload, { maxPayloadBytes: bytes - 1 }).ok).toBe(false);
  });

  it('limits the number of events per document', () => {
    const events = Array.from({ length: 4 }, () => OBJECT);
    expect(accepted(doc(...events), { maxEventsPerDocument: 4 })).toHaveLength(4);
    expect(problemsOf(doc(...events), { maxEventsPerDocument: 3 })).toEqual([
      { path: '$.epcisBody.eventList', message: 'the document has 4 events; the limit is 3 per document' },
    ]);
  });

  it('has 1000 events per document as the default limit', () => {
    expect(problemsOf(doc(...Array.from({ length: 1001 }, () => ({})))) [0]).toEqual({
      path: '$.epcisBody.eventList',
      message: 'the document has 1001 events; the limit is 1000 per document',
    });
  });

  it('limits the identifiers per event', () => {
    const epcs = Array.from({ length: 5 }, (_, i) => `urn:epc:id:sgtin:0614141.107346.${i}`);
    const event = { ...PACKING, childEPCs: epcs };
    expect(accepted(event, { maxIdentifiersPerEvent: 6 })).toHaveLength(1);
    expect(problemsOf(event, { maxIdentifiersPerEvent: 5 })).toEqual([
      { path: '$', message: 'the event mentions 6 identifiers; the limit is 5 per event' },
    ]);
  });

  it('limits the derivation pairs of a TransformationEvent', () => {
    const epcs = (n: number, base: number) => Array.from({ length: n }, (_, i) => `urn:epc:id:sgtin:0614141.107346.${base + i}`);
    const event = { ...without(PRODUCTION, 'inputQuantityList'), inputEPCList: epcs(4, 0), outputEPCList: epcs(5, 100) };
    expect(accepted(event, { maxDerivationsPerEvent: 20 })[0].derivations).toHaveLength(20);
    expect(problemsOf(event, { maxDerivationsPerEvent: 19 })[0]).toEqual({
      path: '$',
      message: expect.stringMatching(/4 inputs × 5 outputs make 20 derivation pairs; the limit is 19/),
    });
  });

  it('rejects nesting deeper than 32 levels', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { 'example:n': deep };
    const problems = problemsOf({ ...OBJECT, 'example:deep': deep });
    expect(problems).toContainEqual({ path: expect.stringMatching(/^\$\["example:deep"\]/), message: 'nesting is deeper than 32 levels' });
  });

  it('never throws, whatever JSON it is given', () => {
    const eventish = fc.record(
      {
        type: fc.constantFrom('ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent', 'X'),
        eventTime: fc.oneof(fc.constant('2025-01-15T08:00:00Z'), fc.string()),
        eventTimeZoneOffset: fc.oneof(fc.constant('+08:00'), fc.string()),
        action: fc.constantFrom('ADD', 'OBSERVE', 'DELETE', 'x'),
        epcList: fc.oneof(fc.array(fc.oneof(fc.string(), fc.constant('hdl:88.1/x'), fc.constant('urn:epc:id:sgtin:0614141.107346.1'))), fc.jsonValue()),
        parentID: fc.jsonValue(),
        childEPCs: fc.jsonValue(),
        quantityList: fc.jsonValue(),
        inputEPCList: fc.jsonValue(),
        outputQuantityList: fc.jsonValue(),
        readPoint: fc.jsonValue(),
        bizTransactionList: fc.jsonValue(),
        sourceList: fc.jsonValue(),
        sensorElementList: fc.jsonValue(),
        errorDeclaration: fc.jsonValue(),
        persistentDisposition: fc.jsonValue(),
        ilmd: fc.jsonValue(),
        bizStep: fc.jsonValue(),
        eventID: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), eventish, eventish.map((e) => doc(e))), (value) => {
        const result = parseEpcisPayload(JSON.stringify(value) ?? 'null');
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) expect(typeof p.path === 'string' && typeof p.message === 'string').toBe(true);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(typeof parseEpcisPayload(s).ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseEpcisPayload: normalised events', () => {
  it('fills in the hash ID as eventID when none is given', () => {
    const [event] = accepted(SMALLEST_DOCUMENT);
    expect(event.eventIdGiven).toBe(false);
    expect(event.eventId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
    expect(event.hashId).toBe(event.eventId);
    expect(event.document).toEqual({ ...SMALLEST_DOCUMENT.epcisBody.eventList[0], eventID: event.eventId });
  });

  it('keeps a given eventID and still computes the hash ID', () => {
    const [event] = accepted(SHIPPING);
    expect(event).toMatchObject({ eventId: SHIPPING.eventID, eventIdGiven: true });
    expect(event.hashId).toMatch(/^ni:\/\/\/sha-256;/);
    expect(event.document).toEqual(SHIPPING);
  });

  it('gives redelivered copies and error declarations the same hash ID', () => {
    const [a] = accepted(OBJECT);
    const [b] = accepted(JSON.stringify(OBJECT, null, 4));
    const [c] = accepted({ ...OBJECT, errorDeclaration: { declarationTime: '2025-02-01T00:00:00+08:00', reason: 'did_not_occur' } });
    expect(b.eventId).toBe(a.eventId);
    expect(c.eventId).toBe(a.eventId);
    expect(c.errorDeclaration).toEqual({
      declarationTime: new Date('2025-01-31T16:00:00.000Z'),
      reason: 'did_not_occur',
      correctiveEventIds: [],
    });
    expect(a.errorDeclaration).toBeNull();
    const [d] = accepted({
      ...OBJECT,
      errorDeclaration: {
        declarationTime: '2025-02-01T00:00:00Z',
        correctiveEventIDs: [' urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8', 'ni:///sha-256;00?ver=CBV2.0'],
      },
    });
    expect(d.errorDeclaration).toEqual({
      declarationTime: new Date('2025-02-01T00:00:00Z'),
      reason: null,
      correctiveEventIds: ['urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8', 'ni:///sha-256;00?ver=CBV2.0'],
    });
  });

  it('reports the common fields', () => {
    const [event] = accepted(SHIPPING);
    expect(event).toMatchObject({
      type: 'ObjectEvent',
      eventTime: new Date('2025-01-15T00:00:00.000Z'),
      eventTimeZoneOffset: '+08:00',
      action: 'OBSERVE',
      bizStep: 'shipping',
      disposition: 'in_transit',
      readPoint: 'https://id.gs1.org/414/9506000134376/254/1',
      bizLocation: 'https://id.gs1.org/414/9506000134376',
      identifiers: [{ id: 'https://id.gs1.org/01/09506000134352/21/2018', role: 'epc' }],
      containment: [],
      derivations: [],
      commissioned: [],
    });
  });

  it('lists identifiers with their roles, canonical and de-duplicated', () => {
    const [event] = accepted({
      ...OBJECT,
      epcList: ['hdl:88.118.8/Bottle-1', ' HDL:88.118.8/Bottle-1 ', 'urn:epc:id:sgtin:0614141.107346.2018'],
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: 1 }],
    });
    expect(event.identifiers).toEqual([
      { id: 'hdl:88.118.8/Bottle-1', role: 'epc' },
      { id: 'urn:epc:id:sgtin:0614141.107346.2018', role: 'epc' },
      { id: 'urn:epc:class:lgtin:4012345.011111.LOT1', role: 'quantity' },
    ]);
  });

  it.each(['ADD', 'DELETE'] as const)('derives containment from an AggregationEvent %s', (action) => {
    const [event] = accepted({
      ...PACKING,
      action,
      childQuantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.LOT1', quantity: 2 }],
    });
    const parent = 'urn:epc:id:sscc:0614141.1234567890';
    expect(event.containment).toEqual([
      { parent, child: 'urn:epc:id:sgtin:0614141.107346.2018', action },
      { parent, child: 'urn:epc:id:sgtin:0614141.107346.2019', action },
      { parent, child: 'urn:epc:class:lgtin:4012345.011111.LOT1', action },
    ]);
    expect(event.identifiers).toEqual([
      { id: parent, role: 'parent' },
      { id: 'urn:epc:id:sgtin:0614141.107346.2018', role: 'child' },
      { id: 'urn:epc:id:sgtin:0614141.107346.2019', role: 'child' },
      { id: 'urn:epc:class:lgtin:4012345.011111.LOT1', role: 'childQuantity' },
    ]);
  });

  it('derives no containment from OBSERVE aggregations, associations or other events', () => {
    expect(accepted({ ...PACKING, action: 'OBSERVE' })[0].containment).toEqual([]);
    expect(accepted(ASSOCIATION)[0].containment).toEqual([]);
    expect(accepted(TRANSACTION)[0].containment).toEqual([]);
  });

  it('derives every input × output pair of a TransformationEvent', () => {
    const [event] = accepted({
      ...PRODUCTION,
      inputEPCList: ['hdl:88.118.8/grape-lot-1'],
      outputQuantityList: [{ epcClass: 'hdl:88.118.8/wine-lot-9', quantity: 300, uom: 'LTR' }],
    });
    expect(event.derivations).toEqual([
      { input: 'hdl:88.118.8/grape-lot-1', output: 'urn:epc:id:sgtin:0614141.107346.2018' },
      { input: 'hdl:88.118.8/grape-lot-1', output: 'hdl:88.118.8/wine-lot-9' },
      { input: 'urn:epc:class:lgtin:4012345.011111.LOT1', output: 'urn:epc:id:sgtin:0614141.107346.2018' },
      { input: 'urn:epc:class:lgtin:4012345.011111.LOT1', output: 'hdl:88.118.8/wine-lot-9' },
    ]);
    expect(event.identifiers.map((r) => r.role).sort()).toEqual(['input', 'inputQuantity', 'output', 'outputQuantity']);
    expect(event.action).toBeNull();
  });

  it('lists commissioned hdl: handles of an ObjectEvent ADD only', () => {
    const epcList = ['HDL:88.118.8/Bottle-1', 'urn:epc:id:sgtin:0614141.107346.2018', 'hdl:88.118.8/Bottle-2'];
    expect(accepted({ ...OBJECT, action: 'ADD', bizStep: 'commissioning', epcList })[0].commissioned).toEqual([
      'hdl:88.118.8/Bottle-1',
      'hdl:88.118.8/Bottle-2',
    ]);
    expect(accepted({ ...OBJECT, action: 'OBSERVE', epcList })[0].commissioned).toEqual([]);
    expect(accepted({ ...OBJECT, action: 'DELETE', epcList })[0].commissioned).toEqual([]);
  });

  it('keeps the prefixes only the document declares with the event, so its hash ID can be recomputed from it', () => {
    const event = { ...OBJECT, 'ex:f': 'v', ilmd: undefined, 'gs1:g': { 'ex:h': 1 } };
    const [a] = accepted({ ...doc(event), '@context': [CONTEXT, { ex: 'https://ns.example.com/', unused: 'https://u/' }, { gs1: 'https://gs1.org/voc/' }] });
    // only `ex`: gs1 is declared as the default declares it, `unused` is not used
    expect(a.document['@context']).toEqual([{ ex: 'https://ns.example.com/' }]);
    expect(computeEventHashId(a.document)).toBe(a.hashId);
    const [plain] = accepted(doc(OBJECT));
    expect(plain.document['@context']).toBeUndefined();
  });

  it('uses the document @context for extension names in the hash', () => {
    const event = { ...OBJECT, 'ex:f': 'v' };
    const [a] = accepted({ ...doc(event), '@context': [CONTEXT, { ex: 'https://ns.example.com/' }] });
    const [b] = accepted({ ...OBJECT, 'https://ns.example.com/f': 'v' });
    expect(a.hashId).toBe(b.hashId);
  });
});
