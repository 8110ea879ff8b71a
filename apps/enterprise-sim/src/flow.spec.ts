import fc from 'fast-check';
import { buildFlow, type FlowEvent, type FlowOptions, flowEvents, flowIdentifiers, formatEventTime, glnOf, gs1CheckDigit, simEnterprises, type Tier } from './flow';

const START = new Date('2025-03-01T00:00:00+08:00');

function options(overrides: Partial<FlowOptions> = {}, counts: Record<Tier, number> = { supplier: 1, manufacturer: 1, distributor: 1, retailer: 2 }): FlowOptions {
  return { seed: 42, enterprises: simEnterprises('88.118', 9101, counts), startTime: START, maxEvents: 300, ...overrides };
}

const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

/**
 * Replays a stream and checks that it could have happened: every item exists before it is used,
 * is where the event says, was shipped to whoever receives it, is packed only while it is not
 * packed, and every item's events move forward in time. Returns the problems found.
 */
function consistencyProblems(events: readonly FlowEvent[]): string[] {
  const problems: string[] = [];
  const exists = new Set<string>();
  const consumed = new Set<string>();
  const sold = new Set<string>();
  const at = new Map<string, string>(); // item -> prefix holding it
  const inTransitTo = new Map<string, string>(); // item -> receiving prefix
  const parentOf = new Map<string, string>();
  const childrenOf = new Map<string, Set<string>>();
  const lastTime = new Map<string, number>();
  const contents = (item: string): string[] => [item, ...[...(childrenOf.get(item) ?? [])].flatMap(contents)];
  const ownerOfHdl = (id: string) => (id.startsWith('hdl:') ? id.slice(4, id.indexOf('/')) : undefined);
  const orgPrefix = (list: unknown, key: 'source' | 'destination') =>
    ownerOfHdl(((list as Array<Record<string, string>>) ?? []).find((entry) => entry.type === 'owning_party')?.[key] ?? '');

  events.forEach((flowEvent, index) => {
    const e = flowEvent.event;
    const me = flowEvent.enterprisePrefix;
    const where = `event ${index} (${e.type} ${e.bizStep} by ${me})`;
    const fail = (message: string) => problems.push(`${where}: ${message}`);
    const time = Date.parse(e.eventTime as string);
    if (time !== flowEvent.time) fail('eventTime does not match the time field');
    if (e.eventTimeZoneOffset !== '+08:00' || !(e.eventTime as string).endsWith('+08:00')) fail('not in +08:00');
    if (ownerOfHdl((e.readPoint as { id: string }).id) !== me || ownerOfHdl((e.bizLocation as { id: string }).id) !== me) fail('readPoint/bizLocation not at the publisher');
    const mentioned = [...list(e.epcList), ...list(e.childEPCs), ...list(e.inputEPCList), ...list(e.outputEPCList), ...(typeof e.parentID === 'string' ? [e.parentID] : [])];
    for (const id of mentioned) {
      if ((lastTime.get(id) ?? -Infinity) >= time) fail(`${id} goes back in time`);
      lastTime.set(id, time);
    }
    const present = (id: string) => {
      if (!exists.has(id)) fail(`${id} used before it exists`);
      else if (consumed.has(id)) fail(`${id} used after it was consumed`);
      else if (sold.has(id)) fail(`${id} used after it was sold`);
      else if (at.get(id) !== me) fail(`${id} is at ${at.get(id) ?? 'nowhere'}${inTransitTo.has(id) ? ` (in transit to ${inTransitTo.get(id)})` : ''}, not at ${me}`);
    };
    switch (e.bizStep) {
      case 'commissioning':
        for (const id of list(e.epcList)) {
          if (e.action !== 'ADD') fail('commissioning must be ADD');
          if (id.startsWith('hdl:') && ownerOfHdl(id) !== me) fail(`commissions ${id} outside its own prefix`);
          if (exists.has(id) && at.get(id) !== me) fail(`${id} commissioned again elsewhere`);
          exists.add(id);
          at.set(id, me);
        }
        break;
      case 'assembling':
        if (e.type !== 'TransformationEvent') fail('assembling is a transformation here');
        if (list(e.inputEPCList).length === 0 || list(e.outputEPCList).length === 0) fail('transformation without inputs or outputs');
        for (const id of list(e.inputEPCList)) {
          present(id);
          consumed.add(id);
        }
        for (const id of list(e.outputEPCList)) {
          if (exists.has(id)) fail(`${id} produced twice`);
          if (ownerOfHdl(id) !== me) fail(`produces ${id} outside its own prefix`);
          exists.add(id);
          at.set(id, me);
        }
        break;
      case 'packing': {
        const parent = e.parentID as string;
        if (e.action !== 'ADD' || e.type !== 'AggregationEvent') fail('packing must be an AggregationEvent ADD');
        present(parent);
        for (const child of list(e.childEPCs)) {
          present(child);
          if (parentOf.has(child)) fail(`${child} is already packed in ${parentOf.get(child)}`);
          parentOf.set(child, parent);
          childrenOf.set(parent, (childrenOf.get(parent) ?? new Set()).add(child));
        }
        break;
      }
      case 'unpacking': {
        const parent = e.parentID as string;
        if (e.action !== 'DELETE' || e.type !== 'AggregationEvent') fail('unpacking must be an AggregationEvent DELETE');
        present(parent);
        for (const child of list(e.childEPCs)) {
          if (parentOf.get(child) !== parent) fail(`${child} is not in ${parent}`);
          parentOf.delete(child);
          childrenOf.get(parent)?.delete(child);
        }
        break;
      }
      case 'shipping': {
        if (!Array.isArray(e.bizTransactionList) || e.bizTransactionList.length === 0) fail('shipping without a business transaction');
        if (orgPrefix(e.sourceList, 'source') !== me) fail('source is not the shipper');
        const to = orgPrefix(e.destinationList, 'destination');
        if (!to || to === me) fail('no other destination');
        for (const id of list(e.epcList)) {
          present(id);
          if (parentOf.has(id)) fail(`${id} shipped while packed in ${parentOf.get(id)}`);
          for (const item of contents(id)) {
            at.delete(item);
            inTransitTo.set(item, to as string);
          }
        }
        break;
      }
      case 'receiving':
        if (orgPrefix(e.destinationList, 'destination') !== me) fail('destination is not the receiver');
        for (const id of list(e.epcList)) {
          if (inTransitTo.get(id) !== me) fail(`${id} received but was not shipped to ${me}`);
          for (const item of contents(id)) {
            inTransitTo.delete(item);
            at.set(item, me);
          }
        }
        break;
      case 'retail_selling':
        if (flowEvent.tier !== 'retailer') fail('only retailers sell');
        for (const id of list(e.epcList)) {
          present(id);
          if (parentOf.has(id)) fail(`${id} sold while still packed`);
          sold.add(id);
        }
        break;
      default:
        fail(`unexpected bizStep ${String(e.bizStep)}`);
    }
  });
  return problems;
}

describe('the simulated supply chain', () => {
  it('is the same stream for the same options and another for another seed', () => {
    const a = JSON.stringify(buildFlow(options()).events);
    expect(JSON.stringify(buildFlow(options()).events)).toBe(a);
    expect(JSON.stringify([...flowEvents(options())])).toBe(a);
    expect(JSON.stringify(buildFlow(options({ seed: 43 })).events)).not.toBe(a);
    expect(JSON.stringify(buildFlow(options({ startTime: new Date(START.getTime() + 1000) })).events)).not.toBe(a);
  });

  it('has exactly maxEvents events when products are not bounded, numbered in order', () => {
    for (const maxEvents of [1, 7, 300, 2500]) {
      const flow = buildFlow(options({ maxEvents }));
      expect(flow.events).toHaveLength(maxEvents);
      expect(flow.events.map((e) => e.seq)).toEqual(Array.from({ length: maxEvents }, (_, i) => i));
    }
  });

  it('ends when maxProducts products have gone through the chain', () => {
    const flow = buildFlow(options({ maxProducts: 30, productsPerRun: 12, maxEvents: 100_000 }));
    expect(flow.products).toBe(30);
    expect(flow.runs).toBe(3);
    expect(flow.events.length).toBeLessThan(200);
    const products = new Set(flow.events.flatMap((e) => list(e.event.outputEPCList)));
    expect(products.size).toBe(30);
  });

  it('is consistent: things exist before use, are received only after being shipped there, and move forward in time', () => {
    const flow = buildFlow(options({ maxEvents: 3000 }));
    expect(consistencyProblems(flow.events)).toEqual([]);
  });

  it('stays consistent for any seed, chain shape and cut-off', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 400 }),
        fc.record({ supplier: fc.integer({ min: 1, max: 3 }), manufacturer: fc.integer({ min: 1, max: 3 }), distributor: fc.integer({ min: 1, max: 2 }), retailer: fc.integer({ min: 1, max: 4 }) }),
        fc.integer({ min: 2, max: 40 }),
        (seed, maxEvents, counts, productsPerRun) => {
          const flow = buildFlow(options({ seed, maxEvents, productsPerRun }, counts));
          expect(flow.events).toHaveLength(maxEvents);
          expect(consistencyProblems(flow.events)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the checker itself catches a receipt before the shipment and a sale of something never made', () => {
    const flow = buildFlow(options({ maxEvents: 200 }));
    const shipIndex = flow.events.findIndex((e) => e.event.bizStep === 'shipping');
    const receiveIndex = flow.events.findIndex((e, i) => i > shipIndex && e.event.bizStep === 'receiving');
    const swapped = [...flow.events];
    [swapped[shipIndex], swapped[receiveIndex]] = [swapped[receiveIndex], swapped[shipIndex]];
    expect(consistencyProblems(swapped).join('\n')).toMatch(/received but was not shipped/);
    const forged = structuredClone(flow.events.find((e) => e.event.bizStep === 'retail_selling') as FlowEvent);
    forged.event.epcList = ['hdl:88.118.9102/P-never-made'];
    expect(consistencyProblems([...flow.events, forged]).join('\n')).toMatch(/used before it exists/);
  });

  it('uses every event type, bizStep of the chain, both eventID styles and both identifier forms', () => {
    const events = buildFlow(options({ maxEvents: 2000 })).events.map((e) => e.event);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent']));
    expect(new Set(events.map((e) => e.bizStep))).toEqual(new Set(['commissioning', 'shipping', 'receiving', 'assembling', 'packing', 'unpacking', 'retail_selling']));
    const withId = events.filter((e) => typeof e.eventID === 'string');
    expect(withId.length).toBeGreaterThan(events.length * 0.35);
    expect(withId.length).toBeLessThan(events.length * 0.65);
    for (const e of withId) expect(e.eventID).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(withId.map((e) => e.eventID)).size).toBe(withId.length);
    const ids = events.flatMap((e) => [...list(e.epcList), ...list(e.inputEPCList)]);
    expect(ids.some((id) => /^hdl:88\.118\.9101\/RM-/.test(id))).toBe(true);
    const digitalLinks = ids.filter((id) => id.startsWith('https://id.gs1.org/01/'));
    expect(digitalLinks.length).toBeGreaterThan(0);
    for (const link of digitalLinks) {
      const gtin = /^https:\/\/id\.gs1\.org\/01\/(\d{14})\/21\/[A-Za-z0-9-]{1,20}$/.exec(link)?.[1];
      expect(gtin).toBeDefined();
      expect(gs1CheckDigit((gtin as string).slice(0, 13))).toBe((gtin as string)[13]);
    }
  });

  it('lists every handle the events mention under the enterprise that owns it, for SNMS registration', () => {
    const opts = options({ maxEvents: 500 });
    const identifiers = flowIdentifiers(opts);
    const registered = new Set([...identifiers.values()].flat().map((i) => `hdl:${i.handle}`));
    for (const [prefix, items] of identifiers) for (const item of items) expect(item.handle.startsWith(`${prefix}/`)).toBe(true);
    const mentioned = buildFlow(opts).events.flatMap(({ event: e }) => [
      ...list(e.epcList),
      ...list(e.childEPCs),
      ...list(e.inputEPCList),
      ...list(e.outputEPCList),
      ...(typeof e.parentID === 'string' ? [e.parentID] : []),
      (e.readPoint as { id: string }).id,
      (e.bizLocation as { id: string }).id,
    ]);
    for (const id of mentioned.filter((m) => m.startsWith('hdl:'))) expect(registered).toContain(id);
    expect(registered.size).toBeGreaterThan(100);
  });

  it('refuses options without a bound or without every tier', () => {
    expect(() => buildFlow(options({ maxEvents: 0 }))).toThrow(/maxEvents must be an integer from 1/);
    expect(() => buildFlow(options({ maxEvents: 3_000_000 }))).toThrow(/maxEvents/);
    expect(() => buildFlow(options({ productsPerRun: 1 }))).toThrow(/productsPerRun/);
    expect(() => buildFlow(options({ eventIdFraction: 1.5 }))).toThrow(/eventIdFraction/);
    expect(() => buildFlow(options({ startTime: new Date('nonsense') }))).toThrow(/startTime/);
    expect(() => buildFlow(options({ enterprises: simEnterprises('88.118', 1, { supplier: 1, manufacturer: 1, distributor: 0, retailer: 1 }) }))).toThrow(/at least one distributor/);
    const duplicated = simEnterprises('88.118', 1, { supplier: 1, manufacturer: 1, distributor: 1, retailer: 1 });
    duplicated[3] = { ...duplicated[3], prefix: duplicated[0].prefix };
    expect(() => buildFlow(options({ enterprises: duplicated }))).toThrow(/own prefix/);
  });

  it('formats times with the +08:00 offset and GS1 keys with their check digits', () => {
    expect(formatEventTime(Date.parse('2025-01-15T00:00:00.000Z'))).toBe('2025-01-15T08:00:00.000+08:00');
    expect(formatEventTime(Date.parse('2025-01-15T20:30:00.123Z'))).toBe('2025-01-16T04:30:00.123+08:00');
    expect(gs1CheckDigit('0950600013435')).toBe('2'); // GTIN 09506000134352 from the EPCIS examples
    expect(gs1CheckDigit('950600013437')).toBe('6'); // GLN 9506000134376
    expect(glnOf('88.118.9101')).toMatch(/^693009101000\d$/);
  });
});
