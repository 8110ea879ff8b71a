import { createHash } from 'node:crypto';
import { canonicalIdentifier, gs1DigitalLinkForm } from './identifiers';
import { formatUtcMillis, parseDateTime } from './time';
import { CbvVocabulary, expandCbvUrn, expandVocabularyValue } from './vocabulary';

/**
 * CBV 2.0 §8.9.2 "EPCIS event hash ID" (reference: RalphTro/epcis-event-hash-generator; epcis-mqtt.md §1.5).
 *
 * Pre-hash string = `eventType=<type>` followed by `key=value` pairs in the canonical property order, with no
 * separators; a structure contributes its name then its children; members of a list are sorted (UTF-16 code
 * unit order, equal to code point order for the ASCII that identifiers use) and the list name appears once.
 * Values are trimmed; numbers lose trailing zeros; date-times become UTC `…sss Z` with millisecond precision
 * (half-up); CBV bare words and URNs become `https://ref.gs1.org/cbv/…` URIs; EPC URNs and Digital Links become
 * canonical Digital Links on id.gs1.org; `hdl:` handles get their canonical form. ILMD and extension fields follow,
 * sorted, as `{namespace}localName=value`.
 *
 * Decisions where implementations disagree (epcis-mqtt.md §1.5): `certificationInfo` is excluded (as in
 * OpenEPCIS and the reference generator's current property order); `epcList` precedes `parentID`; `sourceList`
 * precedes `destinationList`; in bizTransaction/source/destination entries `type` precedes the value (as in the
 * published test vector). Excluded: `eventID`, `recordTime`, `errorDeclaration`, `@context`, `certificationInfo`.
 */

export interface EventHashOptions {
  /** CURIE prefixes → namespace IRIs (from the document's `@context`), used for extension field names */
  namespaces?: Record<string, string>;
}

export const DEFAULT_NAMESPACES: Readonly<Record<string, string>> = {
  gs1: 'https://gs1.org/voc/',
  cbv: 'https://ref.gs1.org/cbv/',
  cbvmda: 'urn:epcglobal:cbv:mda:',
  epcis: 'https://ref.gs1.org/epcis/',
};

const EXCLUDED = new Set(['type', 'eventID', 'recordTime', 'errorDeclaration', '@context', 'certificationInfo']);

const EPC_LISTS = ['epcList', 'inputEPCList', 'childEPCs', 'outputEPCList'];
const QUANTITY_LISTS = ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'];

/** Properties written in the fixed order; everything else (ilmd, extensions) goes to the sorted tail. */
const ORDERED = new Set([
  'eventTime', 'eventTimeZoneOffset', 'parentID', ...EPC_LISTS, ...QUANTITY_LISTS, 'action', 'transformationID',
  'bizStep', 'disposition', 'persistentDisposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList',
  'destinationList', 'sensorElementList',
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

  push(pair('eventTime', event.eventTime));
  push(pair('eventTimeZoneOffset', event.eventTimeZoneOffset));
  push(epcList('epcList', event.epcList));
  push(pair('parentID', event.parentID));
  push(epcList('inputEPCList', event.inputEPCList));
  push(epcList('childEPCs', event.childEPCs));
  push(quantityList('quantityList', event.quantityList, ns));
  push(quantityList('childQuantityList', event.childQuantityList, ns));
  push(quantityList('inputQuantityList', event.inputQuantityList, ns));
  push(epcList('outputEPCList', event.outputEPCList));
  push(quantityList('outputQuantityList', event.outputQuantityList, ns));
  push(pair('action', event.action));
  push(pair('transformationID', event.transformationID));
  push(vocabularyPair('bizStep', 'bizStep', event.bizStep));
  push(vocabularyPair('disposition', 'disposition', event.disposition));
  push(persistentDisposition(event.persistentDisposition));
  push(location('readPoint', event.readPoint, ns));
  push(location('bizLocation', event.bizLocation, ns));
  push(typedList('bizTransactionList', 'bizTransaction', 'bizTransactionType', event.bizTransactionList, ns));
  push(typedList('sourceList', 'source', 'sourceDestinationType', event.sourceList, ns));
  push(typedList('destinationList', 'destination', 'sourceDestinationType', event.destinationList, ns));
  push(sensorElementList(event.sensorElementList, ns));

  const tail: string[] = [];
  for (const [key, value] of Object.entries(event)) {
    if (EXCLUDED.has(key) || ORDERED.has(key)) continue;
    tail.push(...genericEntries(expandName(key, ns), key, value, ns));
  }
  push(sortedJoin(tail));
  return parts.join('');
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

function vocabularyPair(name: string, vocabulary: CbvVocabulary, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') return '';
  return `${name}=${expandVocabularyValue(vocabulary, value.trim())}`;
}

function epcList(name: string, list: unknown): string {
  if (!Array.isArray(list)) return '';
  return prefixed(name, sortedJoin(list.map((epc) => pair('epc', epc))));
}

function quantityList(name: string, list: unknown, ns: Record<string, string>): string {
  if (!Array.isArray(list)) return '';
  const elements = list.map((q) => (isObject(q) ? prefixed('quantityElement', orderedObject(q, QUANTITY_ORDER, ns)) : ''));
  return prefixed(name, sortedJoin(elements));
}

function persistentDisposition(value: unknown): string {
  if (!isObject(value)) return '';
  const group = (key: string) =>
    sortedJoin(
      (Array.isArray(value[key]) ? (value[key] as unknown[]) : []).map((v) =>
        typeof v === 'string' && v.trim() ? `${key}=${expandVocabularyValue('disposition', v.trim())}` : '',
      ),
    );
  return prefixed('persistentDisposition', group('set') + group('unset'));
}

function location(name: string, value: unknown, ns: Record<string, string>): string {
  if (!isObject(value)) return '';
  return prefixed(name, orderedObject(value, ['id'], ns));
}

/** bizTransactionList / sourceList / destinationList: per entry `type=…` then `<valueKey>=…`, entries sorted. */
function typedList(
  name: string,
  valueKey: string,
  vocabulary: CbvVocabulary,
  list: unknown,
  ns: Record<string, string>,
): string {
  if (!Array.isArray(list)) return '';
  const entries = list.map((entry) => {
    if (!isObject(entry)) return '';
    const type = vocabularyPair('type', vocabulary, entry.type);
    const rest = orderedObject(entry, [valueKey], ns, new Set(['type']));
    return type + rest;
  });
  return prefixed(name, sortedJoin(entries));
}

function sensorElementList(list: unknown, ns: Record<string, string>): string {
  if (!Array.isArray(list)) return '';
  const elements = list.map((element) => {
    if (!isObject(element)) return '';
    const metadata = isObject(element.sensorMetadata)
      ? prefixed('sensorMetadata', orderedObject(element.sensorMetadata, SENSOR_METADATA_ORDER, ns))
      : '';
    const reports = Array.isArray(element.sensorReport)
      ? sortedJoin(
          element.sensorReport.map((r) =>
            isObject(r) ? prefixed('sensorReport', orderedObject(sensorReportTerms(r), SENSOR_REPORT_ORDER, ns)) : '',
          ),
        )
      : '';
    const extensions = sortedJoin(
      Object.entries(element)
        .filter(([k]) => k !== 'sensorMetadata' && k !== 'sensorReport')
        .flatMap(([k, v]) => genericEntries(expandName(k, ns), k, v, ns)),
    );
    return prefixed('sensorElement', metadata + reports + extensions);
  });
  return prefixed('sensorElementList', sortedJoin(elements));
}

/** Measurement types and sensor alert types are GS1 web vocabulary terms: bare words expand to gs1:… */
function sensorReportTerms(report: Record<string, unknown>): Record<string, unknown> {
  const out = { ...report };
  for (const key of ['type', 'exception']) {
    const v = out[key];
    if (typeof v === 'string' && v.trim() && !v.includes(':')) out[key] = `${DEFAULT_NAMESPACES.gs1}${v.trim()}`;
    else if (typeof v === 'string' && v.trim().startsWith('gs1:')) out[key] = `${DEFAULT_NAMESPACES.gs1}${v.trim().slice(4)}`;
  }
  return out;
}

/** Known keys in the given order (each a pair), then the remaining keys as sorted generic entries. */
function orderedObject(
  obj: Record<string, unknown>,
  order: string[],
  ns: Record<string, string>,
  skip: ReadonlySet<string> = new Set(),
): string {
  const known = order.map((key) => (Array.isArray(obj[key]) ? sortedJoin((obj[key] as unknown[]).map((v) => pair(key, v))) : pair(key, obj[key])));
  const rest = Object.entries(obj)
    .filter(([k]) => !order.includes(k) && !skip.has(k))
    .flatMap(([k, v]) => genericEntries(expandName(k, ns), k, v, ns));
  return known.join('') + sortedJoin(rest);
}

/** ILMD / extension content: scalars as `name=value`, objects as name + sorted children, arrays as repeats. */
function genericEntries(name: string, rawKey: string, value: unknown, ns: Record<string, string>, depth = 0): string[] {
  if (depth > 64) return [];
  if (Array.isArray(value)) return value.flatMap((v) => genericEntries(name, rawKey, v, ns, depth + 1));
  if (isObject(value)) {
    const children = Object.entries(value).flatMap(([k, v]) => genericEntries(expandName(k, ns), k, v, ns, depth + 1));
    return [name + sortedJoin(children)];
  }
  const text = canonicalValue(rawKey, value);
  return text === null ? [] : [`${name}=${text}`];
}

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
