import { createHash } from 'node:crypto';
import { canonicalIdentifier, gs1DigitalLinkForm } from './identifiers';
import { formatUtcMillis, parseDateTime } from './time';
import { CbvVocabulary, expandCbvUrn, expandVocabularyValue } from './vocabulary';

/**
 * CBV 2.0 §8.9.2 "EPCIS event hash ID", as the public reference generator computes it (RalphTro/epcis-event-hash-generator,
 * `expected/CBV2.0` profile; its published vectors are in libs/epcis/test-vectors/reference and
 * reference-vectors.spec.ts checks every one).
 *
 * Pre-hash string = `eventType=<type>` followed by `key=value` pairs in the canonical property order, with no
 * separators: eventTime, eventTimeZoneOffset, epcList, parentID, inputEPCList, childEPCs, quantityList,
 * childQuantityList, inputQuantityList, outputEPCList, outputQuantityList, action, transformationID, bizStep,
 * disposition, persistentDisposition, readPoint, bizLocation, bizTransactionList, sourceList, destinationList,
 * sensor elements, then the tail. A structure contributes its name then its children; members of a list are
 * sorted (code point order) and the list name appears once; in bizTransaction/source/destination entries `type`
 * precedes the value.
 *
 * Values are trimmed; numbers lose trailing zeros; date-times become UTC `…sssZ` with millisecond precision
 * (half-up); CBV bare words, CURIEs (`cbv:BizStep-…`) and URNs become `https://ref.gs1.org/cbv/…` URIs; EPC URNs
 * (pure identities, LGTIN classes, patterns, CPI) and Digital Links become canonical Digital Links on id.gs1.org
 * with their percent-escapes kept; `hdl:` handles get their canonical form. Sensor elements are written without a
 * `sensorElementList` wrapper; measurement/alert types become `https://ref.gs1.org/voc/…`, components
 * `https://ref.gs1.org/cbv/Comp-…`.
 *
 * The tail: ILMD; then the user extensions found inside standard structures, in property order, each under its
 * structure's name (`readPoint{ns}x=…`, `sensorElementsensorMetadata{ns}x=…`); then the event's own user
 * extensions (`{namespace}localName=value`), sorted.
 *
 * Excluded: `eventID`, `recordTime`, `errorDeclaration` (so an error declaration has the hash of the event it
 * declares), `@context`, `rdfs:comment` anywhere, `certificationInfo` (left out by the current reference generator, "not in CBV property
 * order", and by OpenEPCIS's DEFAULT_FIELDS_TO_EXCLUDE_IN_PREHASH; only the generator's 2023 vectors had it).
 */

export interface EventHashOptions {
  /** CURIE prefixes → namespace IRIs (from the document's `@context`), used for extension field names */
  namespaces?: Record<string, string>;
}

export const DEFAULT_NAMESPACES: Readonly<Record<string, string>> = {
  gs1: 'https://gs1.org/voc/',
  cbv: 'https://ref.gs1.org/cbv/',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  // as the EPCIS context defines it (no trailing colon): reference vector ObjectEvent_all_possible_fields
  cbvmda: 'urn:epcglobal:cbv:mda',
  epcis: 'https://ref.gs1.org/epcis/',
};

const EXCLUDED = new Set(['type', 'eventID', 'recordTime', 'errorDeclaration', '@context', 'certificationInfo']);

const EPC_LISTS = ['epcList', 'inputEPCList', 'childEPCs', 'outputEPCList'];
const QUANTITY_LISTS = ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'];

/** Properties written in the fixed order (ILMD first in the tail); everything else is a user extension. */
const ORDERED = new Set([
  'eventTime', 'eventTimeZoneOffset', 'parentID', ...EPC_LISTS, ...QUANTITY_LISTS, 'action', 'transformationID',
  'bizStep', 'disposition', 'persistentDisposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList',
  'destinationList', 'sensorElementList', 'ilmd',
]);

const SENSOR_METADATA_ORDER = [
  'time', 'startTime', 'endTime', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules',
];
const SENSOR_REPORT_ORDER = [
  'type', 'exception', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'time', 'microorganism',
  'chemicalSubstance', 'value', 'component', 'stringValue', 'booleanValue', 'hexBinaryValue', 'uriValue',
  'minValue', 'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue', 'uom', 'coordinateReferenceSystem',
];
const QUANTITY_ORDER = ['epcClass', 'quantity', 'uom'];

/** `ni:///sha-256;<hex>?ver=CBV2.0` */
export function computeEventHashId(event: Record<string, unknown>, options: EventHashOptions = {}): string {
  const digest = createHash('sha256').update(eventHashPreimage(event, options), 'utf8').digest('hex');
  return `ni:///sha-256;${digest}?ver=CBV2.0`;
}

export function eventHashPreimage(event: Record<string, unknown>, options: EventHashOptions = {}): string {
  const ns = { ...DEFAULT_NAMESPACES, ...namespacesFromContext(event['@context']), ...(options.namespaces ?? {}) };
  const parts: string[] = [`eventType=${typeof event.type === 'string' ? event.type.trim() : ''}`];
  const push = (s: string) => {
    if (s) parts.push(s);
  };
  /** user extensions found inside standard structures, in property order; CBV 2.0 writes them after ILMD */
  const nested: string[] = [];

  push(pair('eventTime', event.eventTime));
  push(pair('eventTimeZoneOffset', event.eventTimeZoneOffset));
  push(epcList('epcList', event.epcList));
  push(pair('parentID', event.parentID));
  push(epcList('inputEPCList', event.inputEPCList));
  push(epcList('childEPCs', event.childEPCs));
  push(quantityList('quantityList', event.quantityList, ns, nested));
  push(quantityList('childQuantityList', event.childQuantityList, ns, nested));
  push(quantityList('inputQuantityList', event.inputQuantityList, ns, nested));
  push(epcList('outputEPCList', event.outputEPCList));
  push(quantityList('outputQuantityList', event.outputQuantityList, ns, nested));
  push(pair('action', event.action));
  push(pair('transformationID', event.transformationID));
  push(vocabularyPair('bizStep', 'bizStep', event.bizStep, ns));
  push(vocabularyPair('disposition', 'disposition', event.disposition, ns));
  push(persistentDisposition(event.persistentDisposition, ns, nested));
  push(location('readPoint', event.readPoint, ns, nested));
  push(location('bizLocation', event.bizLocation, ns, nested));
  push(typedList('bizTransactionList', 'bizTransaction', 'bizTransactionType', event.bizTransactionList, ns, nested));
  push(typedList('sourceList', 'source', 'sourceDestinationType', event.sourceList, ns, nested));
  push(typedList('destinationList', 'destination', 'sourceDestinationType', event.destinationList, ns, nested));
  push(sensorElementList(event.sensorElementList, ns, nested));

  // The tail: ILMD, then the user extensions inside standard structures (in property order), then the event's own
  // user extensions, sorted (reference vectors TransformationEventWithUserExtensions, ObjectEvent_all_possible_fields).
  if (event.ilmd !== undefined) push(sortedJoin(genericEntries('ilmd', 'ilmd', event.ilmd, ns)));
  push(nested.join(''));
  const extensions: string[] = [];
  for (const [key, value] of Object.entries(event)) {
    if (EXCLUDED.has(key) || ORDERED.has(key)) continue;
    extensions.push(...genericEntries(expandName(key, ns), key, value, ns));
  }
  push(sortedJoin(extensions));
  return parts.join('');
}

/**
 * The CURIE prefixes an event's field names use that `namespaces` does not declare (besides the defaults). Its
 * hash ID can only be recomputed from the stored event when this is empty: the document-level `@context` that
 * declared them at capture is not part of the stored event.
 */
export function undeclaredPrefixes(event: Record<string, unknown>, namespaces: Record<string, string> = {}): string[] {
  const known = { ...DEFAULT_NAMESPACES, ...namespacesFromContext(event['@context']), ...namespaces };
  return [...prefixesUsed(event)].filter((prefix) => known[prefix] === undefined).sort();
}

/**
 * The prefixes the event's field names use that only the capturing document declares (or declares differently from
 * the defaults), with their IRIs; null when there are none. Stored with the event as its own `@context`, they keep it
 * self-describing: its hash ID can be recomputed from it alone, and a query result shows it as valid JSON-LD.
 */
export function documentPrefixesOf(event: Record<string, unknown>, namespaces: Record<string, string>): Record<string, string> | null {
  // The usual document declares no prefix of its own: nothing to look for (this runs for every ingested event).
  if (Object.keys(namespaces).length === 0) return null;
  const own = namespacesFromContext(event['@context']);
  const needed: Record<string, string> = {};
  const used = prefixesUsed(event);
  // An extension event type written as a CURIE (`example:CalibrationEvent`) needs its prefix too.
  const typePrefix = typeof event.type === 'string' ? /^([A-Za-z][A-Za-z0-9_.-]*):(?!\/\/)/.exec(event.type)?.[1] : undefined;
  if (typePrefix && !URI_SCHEMES.has(typePrefix.toLowerCase())) used.add(typePrefix);
  for (const prefix of used) {
    const iri = namespaces[prefix];
    if (own[prefix] === undefined && iri !== undefined && iri !== DEFAULT_NAMESPACES[prefix]) needed[prefix] = iri;
  }
  return Object.keys(needed).length > 0 ? needed : null;
}

/** The CURIE prefixes of an event's field names (values are not names), at any depth. */
function prefixesUsed(event: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 64 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
      return;
    }
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === '@context') continue;
      const m = /^([A-Za-z][A-Za-z0-9_.-]*):(?!\/\/)/.exec(key);
      if (m && !URI_SCHEMES.has(m[1].toLowerCase())) found.add(m[1]);
      visit(v, depth + 1);
    }
  };
  visit(event, 0);
  return found;
}

/** CURIE prefixes declared by objects inside a JSON-LD `@context` (string entries are ignored). */
export function namespacesFromContext(context: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Array.isArray(context) ? context : [context];
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
    for (const [prefix, iri] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof iri === 'string' && !prefix.startsWith('@')) out[prefix] = iri;
    }
  }
  return out;
}

function pair(name: string, value: unknown): string {
  const text = canonicalValue(name, value);
  return text === null ? '' : `${name}=${text}`;
}

function vocabularyPair(name: string, vocabulary: CbvVocabulary, value: unknown, ns: Record<string, string>): string {
  if (typeof value !== 'string' || value.trim() === '') return '';
  return `${name}=${expandVocabularyValue(vocabulary, expandCurie(value.trim()))}`;
}

/** Schemes that look like CURIE prefixes but never are one. */
const URI_SCHEMES = new Set(['http', 'https', 'urn', 'hdl', 'geo', 'ni', 'mailto', 'tag', 'did']);

const CBV_WEB = 'https://ref.gs1.org/cbv/';

/**
 * A CURIE of the CBV (`cbv:Comp-latitude`, `cbv:BizStep-receiving`) as its web URI; anything else unchanged. User
 * CURIEs in values stay as written even when the context declares their prefix (`example:someSensorProperty`):
 * the reference generator expands only the standard vocabularies' (vector TransformationEventWithUserExtensions).
 */
function expandCurie(value: string): string {
  return value.startsWith('cbv:') ? CBV_WEB + value.slice(4) : value;
}

function epcList(name: string, list: unknown): string {
  if (!Array.isArray(list)) return '';
  return prefixed(name, sortedJoin(list.map((epc) => pair('epc', epc))));
}

function quantityList(name: string, list: unknown, ns: Record<string, string>, tail: string[]): string {
  if (!Array.isArray(list)) return '';
  const residual: string[] = [];
  const elements = list.map((q) => {
    if (!isObject(q)) return '';
    residual.push(prefixed('quantityElement', extensionsOf(q, QUANTITY_ORDER, ns)));
    return prefixed('quantityElement', knownFields(q, QUANTITY_ORDER));
  });
  pushResidual(tail, name, residual);
  return prefixed(name, sortedJoin(elements));
}

function persistentDisposition(value: unknown, ns: Record<string, string>, tail: string[]): string {
  if (!isObject(value)) return '';
  const group = (key: string) =>
    sortedJoin(
      (Array.isArray(value[key]) ? (value[key] as unknown[]) : []).map((v) =>
        typeof v === 'string' && v.trim() ? `${key}=${expandVocabularyValue('disposition', expandCurie(v.trim()))}` : '',
      ),
    );
  pushResidual(tail, 'persistentDisposition', [extensionsOf(value, ['set', 'unset'], ns)]);
  return prefixed('persistentDisposition', group('set') + group('unset'));
}

function location(name: string, value: unknown, ns: Record<string, string>, tail: string[]): string {
  if (!isObject(value)) return '';
  pushResidual(tail, name, [extensionsOf(value, ['id'], ns)]);
  return prefixed(name, knownFields(value, ['id']));
}

/** The user extensions found inside a standard structure, written (CBV 2.0) after the standard fields under its name. */
function pushResidual(tail: string[], name: string, residual: string[]): void {
  const content = sortedJoin(residual);
  if (content !== '') tail.push(name + content);
}

/** bizTransactionList / sourceList / destinationList: per entry `type=…` then `<valueKey>=…`, entries sorted. */
function typedList(
  name: string,
  valueKey: string,
  vocabulary: CbvVocabulary,
  list: unknown,
  ns: Record<string, string>,
  tail: string[],
): string {
  if (!Array.isArray(list)) return '';
  const residual: string[] = [];
  const entries = list.map((entry) => {
    if (!isObject(entry)) return '';
    residual.push(extensionsOf(entry, ['type', valueKey], ns));
    return vocabularyPair('type', vocabulary, entry.type, ns) + knownFields(entry, [valueKey]);
  });
  pushResidual(tail, name, residual);
  return prefixed(name, sortedJoin(entries));
}

/**
 * CBV 2.0: each sensor element is written as `sensorElement…` without the list's name (the `sensorElementList`
 * wrapper is CBV 2.1's), and user extensions inside sensor metadata, reports and elements go to the tail as
 * `sensorElement` + `sensorMetadata{ns}name=…` / `sensorReport{ns}name=…` (reference vector
 * CertificationInfoAndSensorReportWithCRS).
 */
function sensorElementList(list: unknown, ns: Record<string, string>, tail: string[]): string {
  if (!Array.isArray(list)) return '';
  const elements = list.map((element) => {
    if (!isObject(element)) return '';
    const residual: string[] = [];
    let metadata = '';
    if (isObject(element.sensorMetadata)) {
      const terms = sensorTerms(element.sensorMetadata);
      metadata = prefixed('sensorMetadata', knownFields(terms, SENSOR_METADATA_ORDER));
      residual.push(prefixed('sensorMetadata', extensionsOf(terms, SENSOR_METADATA_ORDER, ns)));
    }
    let reports = '';
    if (Array.isArray(element.sensorReport)) {
      reports = sortedJoin(
        element.sensorReport.map((r) => {
          if (!isObject(r)) return '';
          const terms = sensorTerms(r);
          residual.push(prefixed('sensorReport', extensionsOf(terms, SENSOR_REPORT_ORDER, ns)));
          return prefixed('sensorReport', knownFields(terms, SENSOR_REPORT_ORDER));
        }),
      );
    }
    residual.push(extensionsOf(element, ['sensorMetadata', 'sensorReport'], ns));
    pushResidual(tail, 'sensorElement', residual);
    return prefixed('sensorElement', metadata + reports);
  });
  return sortedJoin(elements);
}

const GS1_VOC = 'https://ref.gs1.org/voc/';
const CBV_COMPONENT = 'https://ref.gs1.org/cbv/Comp-';
/**
 * Sensor report terms as IRIs: measurement and alert types (`type`, `exception`) are GS1 web vocabulary terms,
 * bare (`Temperature`), as CURIE (`gs1:Temperature`) or as IRI, all written `https://ref.gs1.org/voc/Temperature`
 * as the reference generator does; `component` is a CBV term (`latitude`, `cbv:Comp-latitude` →
 * `https://ref.gs1.org/cbv/Comp-latitude`); other CURIEs (`example:someSensorProperty`) stay as written.
 */
function sensorTerms(report: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...report };
  for (const [key, v] of Object.entries(report)) {
    if (typeof v !== 'string' || v.trim() === '') continue;
    const value = v.trim();
    if (key === 'type' || key === 'exception') {
      if (!value.includes(':')) out[key] = GS1_VOC + value;
      else if (value.startsWith('gs1:')) out[key] = GS1_VOC + value.slice(4);
      else if (value.startsWith(DEFAULT_NAMESPACES.gs1)) out[key] = GS1_VOC + value.slice(DEFAULT_NAMESPACES.gs1.length);
    } else if (key === 'component') {
      out[key] = value.includes(':') ? expandCurie(value) : CBV_COMPONENT + value;
    }
  }
  return out;
}

/** The standard fields of a structure, in their order (each a pair; list values sorted). */
function knownFields(obj: Record<string, unknown>, order: string[]): string {
  return order
    .map((key) => (Array.isArray(obj[key]) ? sortedJoin((obj[key] as unknown[]).map((v) => pair(key, v))) : pair(key, obj[key])))
    .join('');
}

/** The other (extension) fields of a structure as sorted generic entries. */
function extensionsOf(obj: Record<string, unknown>, standard: string[], ns: Record<string, string>): string {
  return sortedJoin(
    Object.entries(obj)
      .filter(([k]) => !standard.includes(k))
      .flatMap(([k, v]) => genericEntries(expandName(k, ns), k, v, ns)),
  );
}

/** ILMD / extension content: scalars as `name=value`, objects as name + sorted children, arrays as repeats. */
function genericEntries(name: string, rawKey: string, value: unknown, ns: Record<string, string>, depth = 0): string[] {
  if (depth > 64 || name === RDFS_COMMENT) return [];
  if (Array.isArray(value)) return value.flatMap((v) => genericEntries(name, rawKey, v, ns, depth + 1));
  if (isObject(value)) {
    const children = Object.entries(value).flatMap(([k, v]) => genericEntries(expandName(k, ns), k, v, ns, depth + 1));
    return [name + sortedJoin(children)];
  }
  const text = canonicalValue(rawKey, value);
  return text === null ? [] : [`${name}=${text}`];
}

/**
 * `rdfs:comment` is a human annotation, not event data: the reference generator and OpenEPCIS leave it out
 * (reference vector epcisDocHavingEventWithComment).
 */
const RDFS_COMMENT = '{http://www.w3.org/2000/01/rdf-schema#}comment';

/** `example:foo` → `{http://ns.example.com/epcis/}foo`; full IRIs split after their last `/`, `#` or `:`. */
function expandName(key: string, ns: Record<string, string>): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(key) || key.startsWith('urn:')) {
    const cut = Math.max(key.lastIndexOf('/'), key.lastIndexOf('#'), key.lastIndexOf(':')) + 1;
    return `{${key.slice(0, cut)}}${key.slice(cut)}`;
  }
  const colon = key.indexOf(':');
  if (colon <= 0) return key;
  const prefix = key.slice(0, colon);
  return `{${ns[prefix] ?? `${prefix}:`}}${key.slice(colon + 1)}`;
}

function canonicalValue(key: string, value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? formatNumber(value) : null;
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  const lowerKey = key.toLowerCase();
  if (lowerKey.includes('time') && !lowerKey.includes('offset')) {
    const ms = parseDateTime(text);
    if (ms !== null) return formatUtcMillis(ms);
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return formatNumber(n);
  }
  const expanded = expandCbvUrn(text);
  if (expanded !== text) return expanded;
  const dl = gs1DigitalLinkForm(text);
  if (dl !== null) return dl;
  if (/^hdl:/i.test(text)) return canonicalHandle(text);
  return text;
}

/**
 * The canonical form of an `hdl:` value, or the value itself when it is no valid handle. Canonicalisation only
 * lower-cases the scheme and the prefix (ASCII), so a value without A–Z before its first "/" is its own
 * canonical form whether or not it is valid: only the others need parsing.
 */
function canonicalHandle(text: string): string {
  const slash = text.indexOf('/');
  if (!/[A-Z]/.test(slash < 0 ? text : text.slice(0, slash))) return text;
  return canonicalIdentifier(text)?.canonical ?? text;
}

function formatNumber(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

function sortedJoin(items: string[]): string {
  const present = items.filter((s) => s !== '');
  // UTF-16 code unit order equals code point (UTF-8 byte) order unless surrogates are involved
  const needsCodePoints = present.some((s) => /[\ud800-\udfff]/.test(s));
  return (needsCodePoints ? present.sort(compareCodePoints) : present.sort()).join('');
}

function prefixed(name: string, content: string): string {
  return content === '' ? '' : name + content;
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
