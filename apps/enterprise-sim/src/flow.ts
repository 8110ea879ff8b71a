import { SeededRandom, hashString } from './random';

/**
 * The simulated supply chain: supplier → manufacturer → distributor → retailer, as a deterministic
 * stream of EPCIS 2.0 events. The same options always give the same events, byte for byte.
 *
 * One production run follows a lot of goods through the whole chain:
 *   supplier      commissions raw materials, ships them to a manufacturer
 *   manufacturer  receives them, transforms 3 raw materials into 2 products at a time, commissions the
 *                 products with their cases and pallet, packs products into cases and cases onto the
 *                 pallet, ships the pallet (TransactionEvent with the purchase order and despatch advice)
 *   distributor   receives the pallet, unpacks it, ships the cases on to one or more retailers
 *   retailer      receives cases, unpacks them, sells most products one or two at a time
 * Every event of a run is later than the events it depends on, and the stream keeps that order, so
 * any prefix of the stream (a bounded run cut at N events) is consistent: nothing is received before
 * it was shipped, nothing is packed before it exists.
 */

export type Tier = 'supplier' | 'manufacturer' | 'distributor' | 'retailer';
export const TIERS: readonly Tier[] = ['supplier', 'manufacturer', 'distributor', 'retailer'];

export interface SimEnterprise {
  tier: Tier;
  /** Enterprise prefix, e.g. 88.118.9101. */
  prefix: string;
  /** Display name (organisation). */
  name: string;
}

export interface FlowOptions {
  seed: number | string;
  /** At least one enterprise of every tier. */
  enterprises: readonly SimEnterprise[];
  /** Time of the first event; later runs start `runSpacingMinutes` apart. */
  startTime: Date;
  /** Upper bound of events in the stream (1 to MAX_FLOW_EVENTS). */
  maxEvents: number;
  /** Upper bound of finished products; the stream ends earlier when they are all made. Default: no bound. */
  maxProducts?: number;
  /** Products per production run (2 to 200, default 12). */
  productsPerRun?: number;
  /** Fraction (0 to 1) of events that carry an eventID; the others get the CBV 2.0 hash ID at the node. Default 0.5. */
  eventIdFraction?: number;
  /** Fraction (0 to 1) of runs whose raw materials are identified by GS1 Digital Link URIs instead of handles. Default 0.2. */
  digitalLinkFraction?: number;
  /** Minutes between the starts of consecutive runs (default 20, less for long streams so they span about twelve days). */
  runSpacingMinutes?: number;
  /** Runs whose events are interleaved by time (1 to 16, default 4): the stream reads like several lots in progress. */
  concurrentRuns?: number;
}

export const MAX_FLOW_EVENTS = 2_000_000;
export const TIME_ZONE_OFFSET = '+08:00';
const OFFSET_MS = 8 * 3600_000;
const CASE_SIZE = 4;
const CASES_PER_PALLET = 12;
const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

export type EpcisEvent = Record<string, unknown>;

export interface FlowEvent {
  /** Position in the stream, from 0. */
  seq: number;
  /** The enterprise that publishes the event (its topic). */
  enterprisePrefix: string;
  tier: Tier;
  event: EpcisEvent;
  /** Epoch milliseconds of eventTime. */
  time: number;
}

export type IdentifierKind = 'raw-material' | 'product' | 'case' | 'pallet' | 'location' | 'organisation';

/** A handle to register through the SNMS API before events mention it. */
export interface SimIdentifier {
  /** Bare handle, e.g. 88.118.9101/RM-ab12cd-000001-01 (events write it as hdl:<handle>). */
  handle: string;
  kind: IdentifierKind;
  name: string;
  /** Production run / lot reference. */
  lot: string;
}

/** A group of interleaved runs: its events in stream order and the handles they use. */
export interface FlowChunk {
  events: Omit<FlowEvent, 'seq'>[];
  identifiers: Map<string, SimIdentifier[]>;
  products: number;
  runs: number;
}

export interface Flow {
  events: FlowEvent[];
  /** Handles per enterprise prefix, each once, in first-use order. */
  identifiers: Map<string, SimIdentifier[]>;
  products: number;
  runs: number;
}

export class FlowOptionsError extends Error {}

interface Resolved {
  seed: number | string;
  suppliers: SimEnterprise[];
  manufacturers: SimEnterprise[];
  distributors: SimEnterprise[];
  retailers: SimEnterprise[];
  start: number;
  maxEvents: number;
  maxProducts: number;
  productsPerRun: number;
  eventIdFraction: number;
  digitalLinkFraction: number;
  runSpacingMs: number;
  concurrentRuns: number;
  tag: string;
}

function fraction(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new FlowOptionsError(`${name} must be a number from 0 to 1, got ${value}`);
  return v;
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new FlowOptionsError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  return v;
}

/** 20 minutes, or less so that lots of a long stream start within about twelve days (never under a minute). */
function defaultSpacingMinutes(maxEvents: number): number {
  const runs = Math.max(1, Math.ceil(maxEvents / 25));
  return Math.max(1, Math.min(20, Math.floor((12 * 24 * 60) / runs)));
}

function resolve(options: FlowOptions): Resolved {
  const byTier = (tier: Tier) => options.enterprises.filter((e) => e.tier === tier);
  for (const tier of TIERS) if (byTier(tier).length === 0) throw new FlowOptionsError(`the flow needs at least one ${tier}`);
  const prefixes = new Set(options.enterprises.map((e) => e.prefix.toLowerCase()));
  if (prefixes.size !== options.enterprises.length) throw new FlowOptionsError('every enterprise needs its own prefix');
  const start = options.startTime.getTime();
  if (!Number.isFinite(start)) throw new FlowOptionsError('startTime is not a valid date');
  return {
    seed: options.seed,
    suppliers: byTier('supplier'),
    manufacturers: byTier('manufacturer'),
    distributors: byTier('distributor'),
    retailers: byTier('retailer'),
    start,
    maxEvents: integer('maxEvents', options.maxEvents, 0, 1, MAX_FLOW_EVENTS),
    maxProducts: integer('maxProducts', options.maxProducts, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER),
    productsPerRun: integer('productsPerRun', options.productsPerRun, 12, 2, 200),
    eventIdFraction: fraction('eventIdFraction', options.eventIdFraction, 0.5),
    digitalLinkFraction: fraction('digitalLinkFraction', options.digitalLinkFraction, 0.2),
    runSpacingMs: integer('runSpacingMinutes', options.runSpacingMinutes, defaultSpacingMinutes(options.maxEvents), 1, 7 * 24 * 60) * 60_000,
    concurrentRuns: integer('concurrentRuns', options.concurrentRuns, 4, 1, 16),
    // Identifiers of different seeds or start times never collide; a re-run with both equal reuses them.
    tag: (hashString(`${options.seed}|${new Date(start).toISOString()}`) % 36 ** 6).toString(36).padStart(6, '0'),
  };
}

/** "2025-01-15T08:00:00.000+08:00" for the instant `ms`. */
export function formatEventTime(ms: number): string {
  return `${new Date(ms + OFFSET_MS).toISOString().slice(0, -1)}${TIME_ZONE_OFFSET}`;
}

export function hdl(handle: string): string {
  return `hdl:${handle}`;
}

/** GS1 mod-10 check digit of the digits given (GTIN, GLN, SSCC bodies). */
export function gs1CheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return String((10 - (sum % 10)) % 10);
}

/** The numeric enterprise code (last prefix segment), as digits for GS1 keys. */
function companyDigits(prefix: string, width: number): string {
  const code = prefix.slice(prefix.lastIndexOf('.') + 1).replace(/[^0-9]/g, '');
  return (code || String(hashString(prefix))).padStart(width, '0').slice(-width);
}

/** A GLN under the (simulated) GS1 China company prefix 693 + enterprise code. */
export function glnOf(prefix: string): string {
  const body = `693${companyDigits(prefix, 6)}000`;
  return body + gs1CheckDigit(body);
}

function site(e: SimEnterprise): string {
  return `${e.prefix}/site-1`;
}

function readPoint(e: SimEnterprise, point: string): string {
  return `${e.prefix}/site-1.${point}`;
}

function organisation(e: SimEnterprise): string {
  return `${e.prefix}/org`;
}

function bizTransaction(owner: SimEnterprise, reference: string): string {
  return `urn:epcglobal:cbv:bt:${glnOf(owner.prefix)}:${reference}`;
}

function party(from: SimEnterprise, to: SimEnterprise) {
  return {
    sourceList: [
      { type: 'owning_party', source: hdl(organisation(from)) },
      { type: 'location', source: hdl(site(from)) },
    ],
    destinationList: [
      { type: 'owning_party', destination: hdl(organisation(to)) },
      { type: 'location', destination: hdl(site(to)) },
    ],
  };
}

const POINTS: Record<Tier, string[]> = {
  supplier: ['production', 'dock-1'],
  manufacturer: ['dock-1', 'line-1', 'packing-1', 'dock-2'],
  distributor: ['dock-1', 'floor-1', 'dock-2'],
  retailer: ['backroom', 'pos-1'],
};

const KIND_NAMES: Record<IdentifierKind, string> = {
  'raw-material': 'raw material',
  product: 'product',
  case: 'case',
  pallet: 'pallet',
  location: 'location',
  organisation: 'organisation',
};

/** Builds one run's events; times only move forward along every item's path. */
class RunBuilder {
  readonly events: Omit<FlowEvent, 'seq'>[] = [];
  readonly identifiers = new Map<string, SimIdentifier[]>();

  constructor(
    private readonly r: Resolved,
    private readonly rng: SeededRandom,
    private readonly index: number,
    readonly products: number,
  ) {}

  build(): void {
    const { r, rng } = this;
    const lot = `${r.tag}-${String(this.index + 1).padStart(6, '0')}`;
    const supplier = rng.pick(r.suppliers);
    const manufacturer = rng.pick(r.manufacturers);
    const distributor = rng.pick(r.distributors);
    let t = r.start + this.index * r.runSpacingMs + rng.int(0, Math.max(0, Math.floor(r.runSpacingMs / 2)));
    const minutes = (min: number, max: number) => rng.int(min, max) * 60_000 + rng.int(0, 59_999);

    const transformations = Math.ceil(this.products / 2);
    const rawCount = transformations * 3;
    const digitalLink = rng.chance(r.digitalLinkFraction);
    const gtinBody = `0693${companyDigits(supplier.prefix, 5)}${String(this.index % 10_000).padStart(4, '0')}`;
    const gtin = gtinBody + gs1CheckDigit(gtinBody);
    const raw = Array.from({ length: rawCount }, (_, i) =>
      digitalLink
        ? `https://id.gs1.org/01/${gtin}/21/${r.tag}-${this.index + 1}-${i + 1}`
        : this.own(supplier, 'raw-material', `RM-${lot}-${String(i + 1).padStart(3, '0')}`, lot),
    );
    const products = Array.from({ length: this.products }, (_, i) => this.own(manufacturer, 'product', `P-${lot}-${String(i + 1).padStart(3, '0')}`, lot));
    const caseCount = Math.ceil(this.products / CASE_SIZE);
    const cases = Array.from({ length: caseCount }, (_, i) => this.own(manufacturer, 'case', `CS-${lot}-${String(i + 1).padStart(3, '0')}`, lot));
    const palletCount = Math.ceil(caseCount / CASES_PER_PALLET);
    const pallets = Array.from({ length: palletCount }, (_, i) => this.own(manufacturer, 'pallet', `PL-${lot}-${String(i + 1).padStart(2, '0')}`, lot));
    for (const e of [supplier, manufacturer, distributor]) this.places(e);

    // Supplier: commission and ship the raw materials.
    this.emit(supplier, t, 'ObjectEvent', {
      epcList: raw,
      action: 'ADD',
      bizStep: 'commissioning',
      disposition: 'active',
      ...this.where(supplier, 'production'),
    });
    t += minutes(30, 180);
    const po = `PO-${lot}`;
    this.emit(supplier, t, 'ObjectEvent', {
      epcList: raw,
      action: 'OBSERVE',
      bizStep: 'shipping',
      disposition: 'in_transit',
      ...this.where(supplier, 'dock-1'),
      bizTransactionList: [
        { type: 'po', bizTransaction: bizTransaction(manufacturer, po) },
        { type: 'desadv', bizTransaction: bizTransaction(supplier, `DA-${lot}`) },
      ],
      ...party(supplier, manufacturer),
    });

    // Manufacturer: receive, transform, commission, pack, ship.
    t += minutes(4 * 60, 20 * 60);
    this.emit(manufacturer, t, 'ObjectEvent', {
      epcList: raw,
      action: 'OBSERVE',
      bizStep: 'receiving',
      disposition: 'in_progress',
      ...this.where(manufacturer, 'dock-1'),
      bizTransactionList: [{ type: 'po', bizTransaction: bizTransaction(manufacturer, po) }],
      ...party(supplier, manufacturer),
    });
    t += minutes(60, 180);
    for (let k = 0; k < transformations; k += 1) {
      this.emit(manufacturer, t, 'TransformationEvent', {
        inputEPCList: raw.slice(k * 3, k * 3 + 3),
        outputEPCList: products.slice(k * 2, k * 2 + 2),
        bizStep: 'assembling',
        disposition: 'in_progress',
        ...this.where(manufacturer, 'line-1'),
      });
      t += minutes(5, 15);
    }
    this.emit(manufacturer, t, 'ObjectEvent', {
      epcList: [...products, ...cases, ...pallets],
      action: 'ADD',
      bizStep: 'commissioning',
      disposition: 'active',
      ...this.where(manufacturer, 'packing-1'),
    });
    for (let c = 0; c < caseCount; c += 1) {
      t += minutes(1, 4);
      this.emit(manufacturer, t, 'AggregationEvent', {
        parentID: cases[c],
        childEPCs: products.slice(c * CASE_SIZE, c * CASE_SIZE + CASE_SIZE),
        action: 'ADD',
        bizStep: 'packing',
        disposition: 'in_progress',
        ...this.where(manufacturer, 'packing-1'),
      });
    }
    for (let p = 0; p < palletCount; p += 1) {
      t += minutes(5, 20);
      this.emit(manufacturer, t, 'AggregationEvent', {
        parentID: pallets[p],
        childEPCs: cases.slice(p * CASES_PER_PALLET, p * CASES_PER_PALLET + CASES_PER_PALLET),
        action: 'ADD',
        bizStep: 'packing',
        disposition: 'container_closed',
        ...this.where(manufacturer, 'packing-1'),
      });
    }
    t += minutes(60, 300);
    const distributionPo = `PO-${lot}-D`;
    this.emit(manufacturer, t, 'TransactionEvent', {
      bizTransactionList: [
        { type: 'po', bizTransaction: bizTransaction(distributor, distributionPo) },
        { type: 'desadv', bizTransaction: bizTransaction(manufacturer, `DA-${lot}-D`) },
      ],
      epcList: pallets,
      action: 'ADD',
      bizStep: 'shipping',
      disposition: 'in_transit',
      ...this.where(manufacturer, 'dock-2'),
      ...party(manufacturer, distributor),
    });

    // Distributor: receive, unpack the pallets, ship cases on to retailers.
    t += minutes(6 * 60, 30 * 60);
    this.emit(distributor, t, 'ObjectEvent', {
      epcList: pallets,
      action: 'OBSERVE',
      bizStep: 'receiving',
      disposition: 'in_progress',
      ...this.where(distributor, 'dock-1'),
      bizTransactionList: [{ type: 'po', bizTransaction: bizTransaction(distributor, distributionPo) }],
      ...party(manufacturer, distributor),
    });
    for (let p = 0; p < palletCount; p += 1) {
      t += minutes(20, 90);
      this.emit(distributor, t, 'AggregationEvent', {
        parentID: pallets[p],
        childEPCs: cases.slice(p * CASES_PER_PALLET, p * CASES_PER_PALLET + CASES_PER_PALLET),
        action: 'DELETE',
        bizStep: 'unpacking',
        disposition: 'in_progress',
        ...this.where(distributor, 'floor-1'),
      });
    }
    // Cases go to one or more retailers, each retailer getting a contiguous share.
    const retailerCount = Math.min(caseCount, r.retailers.length, rng.int(1, 3));
    const chosen = rng.shuffle(r.retailers).slice(0, retailerCount);
    const shares = chosen.map((retailer, i) => ({
      retailer,
      cases: cases.filter((_, c) => c % retailerCount === i),
    }));
    const arrivals: Array<{ retailer: SimEnterprise; cases: string[]; shippedAt: number; po: string }> = [];
    for (const share of shares) {
      t += minutes(30, 240);
      const retailPo = `PO-${lot}-R${arrivals.length + 1}`;
      this.places(share.retailer);
      this.emit(distributor, t, 'ObjectEvent', {
        epcList: share.cases,
        action: 'OBSERVE',
        bizStep: 'shipping',
        disposition: 'in_transit',
        ...this.where(distributor, 'dock-2'),
        bizTransactionList: [
          { type: 'po', bizTransaction: bizTransaction(share.retailer, retailPo) },
          { type: 'desadv', bizTransaction: bizTransaction(distributor, `DA-${lot}-R${arrivals.length + 1}`) },
        ],
        ...party(distributor, share.retailer),
      });
      arrivals.push({ ...share, shippedAt: t, po: retailPo });
    }

    // Retailers: receive, unpack, sell most products one or two at a time.
    for (const arrival of arrivals) {
      let u = Math.max(t, arrival.shippedAt) + minutes(3 * 60, 12 * 60);
      this.emit(arrival.retailer, u, 'ObjectEvent', {
        epcList: arrival.cases,
        action: 'OBSERVE',
        bizStep: 'receiving',
        disposition: 'sellable_not_accessible',
        ...this.where(arrival.retailer, 'backroom'),
        bizTransactionList: [{ type: 'po', bizTransaction: bizTransaction(arrival.retailer, arrival.po) }],
        ...party(distributor, arrival.retailer),
      });
      const onShelf: string[] = [];
      for (const caseId of arrival.cases) {
        u += minutes(10, 60);
        const c = cases.indexOf(caseId);
        const inside = products.slice(c * CASE_SIZE, c * CASE_SIZE + CASE_SIZE);
        onShelf.push(...inside);
        this.emit(arrival.retailer, u, 'AggregationEvent', {
          parentID: caseId,
          childEPCs: inside,
          action: 'DELETE',
          bizStep: 'unpacking',
          disposition: 'sellable_accessible',
          ...this.where(arrival.retailer, 'backroom'),
        });
      }
      let i = 0;
      while (i < onShelf.length) {
        const take = rng.int(1, 2);
        const sold = onShelf.slice(i, i + take);
        i += take;
        if (rng.chance(0.2)) continue; // still on the shelf
        u += minutes(20, 600);
        this.emit(arrival.retailer, u, 'ObjectEvent', {
          epcList: sold,
          action: 'OBSERVE',
          bizStep: 'retail_selling',
          disposition: 'retail_sold',
          ...this.where(arrival.retailer, 'pos-1'),
        });
      }
    }
  }

  private emit(enterprise: SimEnterprise, time: number, type: string, fields: Record<string, unknown>): void {
    const event: EpcisEvent = { type };
    if (this.rng.chance(this.r.eventIdFraction)) event.eventID = `urn:uuid:${this.rng.uuid()}`;
    event.eventTime = formatEventTime(time);
    event.eventTimeZoneOffset = TIME_ZONE_OFFSET;
    Object.assign(event, fields);
    this.events.push({ enterprisePrefix: enterprise.prefix, tier: enterprise.tier, event, time });
  }

  private where(e: SimEnterprise, point: string) {
    return { readPoint: { id: hdl(readPoint(e, point)) }, bizLocation: { id: hdl(site(e)) } };
  }

  /** Registers a handle of `owner` and returns its hdl: form. */
  private own(owner: SimEnterprise, kind: IdentifierKind, suffix: string, lot: string): string {
    const handle = `${owner.prefix}/${suffix}`;
    this.add(owner, { handle, kind, name: `${KIND_NAMES[kind]} ${suffix} of ${owner.name}`, lot });
    return hdl(handle);
  }

  private places(e: SimEnterprise): void {
    this.add(e, { handle: organisation(e), kind: 'organisation', name: e.name, lot: '-' });
    this.add(e, { handle: site(e), kind: 'location', name: `${e.name} site 1`, lot: '-' });
    for (const point of POINTS[e.tier]) this.add(e, { handle: readPoint(e, point), kind: 'location', name: `${e.name} site 1 ${point}`, lot: '-' });
  }

  private add(owner: SimEnterprise, identifier: SimIdentifier): void {
    const list = this.identifiers.get(owner.prefix) ?? [];
    if (!list.some((i) => i.handle === identifier.handle)) list.push(identifier);
    this.identifiers.set(owner.prefix, list);
  }
}

/**
 * The stream in chunks of `concurrentRuns` runs whose events are interleaved by time. Unbounded in
 * runs except by maxProducts: callers stop it (flowEvents stops at maxEvents).
 */
export function* flowChunks(options: FlowOptions): Generator<FlowChunk> {
  const r = resolve(options);
  const rng = new SeededRandom(r.seed);
  let productsLeft = r.maxProducts;
  let run = 0;
  while (productsLeft > 0) {
    const builders: RunBuilder[] = [];
    for (let k = 0; k < r.concurrentRuns && productsLeft > 0; k += 1) {
      const products = Math.min(r.productsPerRun, productsLeft);
      productsLeft -= products;
      const builder = new RunBuilder(r, rng.fork(`run-${run}`), run, products);
      builder.build();
      builders.push(builder);
      run += 1;
    }
    const events = builders.flatMap((b) => b.events).sort((a, b) => a.time - b.time);
    const identifiers = new Map<string, SimIdentifier[]>();
    for (const b of builders) mergeIdentifiers(identifiers, b.identifiers);
    yield { events, identifiers, products: builders.reduce((n, b) => n + b.products, 0), runs: builders.length };
  }
}

/** Events in stream order, at most maxEvents. */
export function* flowEvents(options: FlowOptions): Generator<FlowEvent> {
  let seq = 0;
  for (const chunk of flowChunks(options)) {
    for (const e of chunk.events) {
      if (seq >= options.maxEvents) return;
      yield { seq, ...e };
      seq += 1;
    }
    if (seq >= options.maxEvents) return;
  }
}

/** The handles the first maxEvents events can mention, per enterprise (a superset: whole runs). */
export function flowIdentifiers(options: FlowOptions): Map<string, SimIdentifier[]> {
  const identifiers = new Map<string, SimIdentifier[]>();
  let seen = 0;
  for (const chunk of flowChunks(options)) {
    mergeIdentifiers(identifiers, chunk.identifiers);
    seen += chunk.events.length;
    if (seen >= options.maxEvents) break;
  }
  return identifiers;
}

/** The whole bounded flow in memory (for tests and small runs). */
export function buildFlow(options: FlowOptions): Flow {
  const events: FlowEvent[] = [];
  const identifiers = new Map<string, SimIdentifier[]>();
  let products = 0;
  let runs = 0;
  let seq = 0;
  for (const chunk of flowChunks(options)) {
    mergeIdentifiers(identifiers, chunk.identifiers);
    products += chunk.products;
    runs += chunk.runs;
    for (const e of chunk.events) {
      if (seq >= options.maxEvents) break;
      events.push({ seq, ...e });
      seq += 1;
    }
    if (seq >= options.maxEvents) break;
  }
  return { events, identifiers, products, runs };
}

function mergeIdentifiers(into: Map<string, SimIdentifier[]>, from: Map<string, SimIdentifier[]>): void {
  for (const [prefix, list] of from) {
    const target = into.get(prefix) ?? [];
    const known = new Set(target.map((i) => i.handle));
    for (const identifier of list) {
      if (!known.has(identifier.handle)) {
        target.push(identifier);
        known.add(identifier.handle);
      }
    }
    into.set(prefix, target);
  }
}

/** An EPCISDocument around `events`; creationDate is the latest eventTime (deterministic). */
export function epcisDocument(events: readonly EpcisEvent[], creationTime: number): Record<string, unknown> {
  return {
    '@context': [EPCIS_CONTEXT],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: formatEventTime(creationTime),
    epcisBody: { eventList: events },
  };
}

/** The enterprises of a simulated chain: codes from `firstCode` upward, tier by tier. */
export function simEnterprises(secondaryPrefix: string, firstCode: number, counts: Record<Tier, number>): SimEnterprise[] {
  const labels: Record<Tier, string> = {
    supplier: '原料供应 Raw Materials Supply Co.',
    manufacturer: '智能制造 Smart Manufacturing Co.',
    distributor: '物流分销 Logistics & Distribution Co.',
    retailer: '零售连锁 Retail Chain Co.',
  };
  const enterprises: SimEnterprise[] = [];
  let code = firstCode;
  for (const tier of TIERS) {
    for (let i = 0; i < counts[tier]; i += 1) {
      enterprises.push({ tier, prefix: `${secondaryPrefix}.${code}`, name: `${labels[tier]} ${i + 1} (sim ${code})` });
      code += 1;
    }
  }
  return enterprises;
}
