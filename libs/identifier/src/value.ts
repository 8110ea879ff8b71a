import { IdentifierError, ValueError } from './errors';
import { parseHandle } from './handle';
import { DEFAULT_PERMISSIONS_STRING, type Permissions, permissionsFromString, permissionsToString } from './permissions';
import { asciiLower, findControlCharacter, findLoneSurrogate, quote, utf8Bytes } from './text';
import { DEFAULT_TTL_SECONDS, MAX_RELATIVE_TTL_SECONDS, type Ttl } from './ttl';

export type ValueFormat = 'string' | 'base64' | 'hex' | 'admin' | 'vlist';

export interface ValueReference {
  handle: string;
  index: number;
}

export interface AdminValue {
  handle: string;
  index: number;
  /** 12 characters of 0/1, most significant bit first (char 0 = List_Handles … char 11 = Add_Handle). */
  permissions: string;
}

export type ValueData =
  | { format: 'string'; value: string }
  | { format: 'base64'; value: string }
  | { format: 'hex'; value: string }
  | { format: 'admin'; value: AdminValue }
  | { format: 'vlist'; value: ValueReference[] };

export interface HandleValue {
  index: number;
  type: string;
  data: ValueData;
  ttl: Ttl;
  /** ISO 8601 UTC with second precision, e.g. 2026-11-23T10:00:00Z. */
  timestamp: string;
  permissions: Permissions;
  references: ValueReference[];
}

/** A value in the Handle.Net JSON REST form (TechManual ch. 14). */
export interface HandleJsonValue {
  index: number;
  type: string;
  data: { format: string; value: unknown };
  ttl?: number | string;
  timestamp?: string;
  permissions?: string;
  references?: ValueReference[];
}

export interface ValueLimits {
  /** UTF-8 bytes of `type` (SNMS limit). */
  maxTypeBytes: number;
  /** Bytes of a value's data: UTF-8 for strings, decoded bytes for base64 and hex. */
  maxDataBytes: number;
  /** Values per record. */
  maxValues: number;
  /** UTF-8 bytes of the whole record as JSON. */
  maxRecordBytes: number;
  /** Entries of a vlist and of a value's `references`. */
  maxReferences: number;
}

export const DEFAULT_VALUE_LIMITS: Readonly<ValueLimits> = Object.freeze({
  maxTypeBytes: 128,
  maxDataBytes: 65536,
  maxValues: 256,
  maxRecordBytes: 1024 * 1024,
  maxReferences: 1000,
});

export const MAX_VALUE_INDEX = 4294967295;

export interface ValueFromJsonOptions {
  /** Prepended to error paths, e.g. `values[3]`. */
  path?: string;
  /** Used for a missing `timestamp`. */
  now?: Date;
  limits?: Partial<ValueLimits>;
}

export type ValuesFromJsonOptions = Omit<ValueFromJsonOptions, 'path'>;

export interface ValueQuery {
  indexes?: number[];
  types?: string[];
}

const VALUE_KEYS = ['index', 'type', 'data', 'ttl', 'timestamp', 'permissions', 'references'];
const DATA_KEYS = ['format', 'value'];
const ADMIN_KEYS = ['handle', 'index', 'permissions'];
const REFERENCE_KEYS = ['handle', 'index'];
const RECORD_KEYS = ['values', 'handle'];
const FORMATS: readonly ValueFormat[] = ['string', 'base64', 'hex', 'admin', 'vlist'];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^[0-9a-fA-F]*$/;
const ADMIN_PERMISSIONS = /^[01]{12}$/;
const PERMISSIONS = /^[01]{4}$/;
const PERMISSIONS_DESCRIPTION = '4 characters of 0/1 (adminRead, adminWrite, publicRead, publicWrite)';
// RFC 3339 §5.6 allows lower-case "t" and "z", hence the i flag.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
/** 9999-12-31T23:59:59Z: the last instant an ISO 8601 four-digit year can spell. */
const MAX_EPOCH_SECONDS = 253402300799;

type JsonObject = Record<string, unknown>;

export function valueFromJson(input: unknown, opts: ValueFromJsonOptions = {}): HandleValue {
  const path = opts.path ?? '';
  const limits: ValueLimits = { ...DEFAULT_VALUE_LIMITS, ...opts.limits };
  const obj = readObject(input, path, VALUE_KEYS, 'a handle value object');

  // pyhandle sends its HS_ADMIN value's index as a string ("100"); other values keep the strict number.
  const isAdmin = typeof obj.type === 'string' && asciiLower(obj.type) === 'hs_admin';
  const index = (isAdmin ? readIndex : readUint)(required(obj, 'index', path), at(path, 'index'), 1);
  const type = readType(required(obj, 'type', path), at(path, 'type'), limits);
  const data = readData(required(obj, 'data', path), at(path, 'data'), limits);
  const ttl: Ttl =
    obj.ttl === undefined ? { type: 'relative', seconds: DEFAULT_TTL_SECONDS } : readTtl(obj.ttl, at(path, 'ttl'));
  const timestamp =
    obj.timestamp === undefined
      ? formatEpochSeconds(Math.floor(nowOf(opts).getTime() / 1000))
      : formatEpochSeconds(readDateTime(obj.timestamp, at(path, 'timestamp')));
  const permissions = permissionsFromString(
    obj.permissions === undefined
      ? DEFAULT_PERMISSIONS_STRING
      : readPattern(obj.permissions, at(path, 'permissions'), PERMISSIONS, PERMISSIONS_DESCRIPTION),
  );
  const references = obj.references === undefined ? [] : readReferences(obj.references, at(path, 'references'), limits);

  return { index, type, data, ttl, timestamp, permissions, references };
}

export function valueToJson(v: HandleValue): HandleJsonValue {
  const out: HandleJsonValue = {
    index: v.index,
    type: v.type,
    data: { format: v.data.format, value: copyDataValue(v.data) },
    ttl: v.ttl.type === 'relative' ? v.ttl.seconds : formatEpochSeconds(v.ttl.expiresAt),
    timestamp: v.timestamp,
  };
  const permissions = permissionsToString(v.permissions);
  if (permissions !== DEFAULT_PERMISSIONS_STRING) out.permissions = permissions;
  if (v.references.length > 0) out.references = v.references.map(copyReference);
  return out;
}

/**
 * Accepts the three body shapes of Handle.Net `PUT /api/handles/{h}`: an array of values, `{"values": [...]}`
 * (optionally with `handle`, returned so the caller can compare it with the path), or a single value.
 */
export function valuesFromJson(input: unknown, opts: ValuesFromJsonOptions = {}): { values: HandleValue[]; handle?: string } {
  const limits: ValueLimits = { ...DEFAULT_VALUE_LIMITS, ...opts.limits };
  let items: unknown[];
  let handle: string | undefined;
  let pathOf: (i: number) => string = (i) => `values[${i}]`;

  if (Array.isArray(input)) {
    items = input;
  } else if (isObject(input) && Object.prototype.hasOwnProperty.call(input, 'values')) {
    const record = readObject(input, '', RECORD_KEYS, 'a record');
    if (record.handle !== undefined) {
      if (typeof record.handle !== 'string') fail('handle', `must be a string; got ${describe(record.handle)}`);
      handle = record.handle;
    }
    if (!Array.isArray(record.values)) fail('values', `must be an array of handle values; got ${describe(record.values)}`);
    items = record.values;
  } else if (isObject(input)) {
    items = [input];
    pathOf = () => '';
  } else {
    throw new ValueError(
      '',
      `record must be an array of handle values, an object {"values": [...]}, or a single handle value; got ${describe(input)}`,
    );
  }

  if (items.length > limits.maxValues) {
    fail('values', `has ${items.length} values; the limit is ${limits.maxValues}`);
  }
  const bytes = jsonBytes(input);
  if (bytes > limits.maxRecordBytes) {
    throw new ValueError('', `record is ${bytes} bytes as JSON; the limit is ${limits.maxRecordBytes}`);
  }

  const now = nowOf(opts);
  const values: HandleValue[] = [];
  const seen = new Map<number, number>();
  items.forEach((item, i) => {
    const value = valueFromJson(item, { path: pathOf(i), now, limits });
    const first = seen.get(value.index);
    if (first !== undefined) {
      fail(at(pathOf(i), 'index'), `${value.index} duplicates ${at(pathOf(first), 'index')}; indexes must be unique within a record`);
    }
    seen.set(value.index, i);
    values.push(value);
  });
  return handle === undefined ? { values } : { values, handle };
}

/**
 * Handle.Net `?index=&type=` semantics: a value is kept if its index is listed OR its type matches; no criteria
 * keeps everything. Types compare ASCII case-insensitively; a query type ending in '.' selects the whole
 * sub-hierarchy (`a.b.` matches `a.b.x`) and the type `a.b` itself.
 */
export function filterValues<T extends { index: number; type: string }>(values: readonly T[], q: ValueQuery): T[] {
  const indexes = q.indexes ?? [];
  const types = (q.types ?? []).map(asciiLower);
  if (indexes.length === 0 && types.length === 0) return values.slice();
  const indexSet = new Set(indexes);
  return values.filter((v) => indexSet.has(v.index) || typeMatches(asciiLower(v.type), types));
}

function typeMatches(typeKey: string, queryKeys: readonly string[]): boolean {
  return queryKeys.some((q) =>
    q.endsWith('.') ? typeKey.startsWith(q) || typeKey === q.slice(0, -1) : typeKey === q,
  );
}

function readData(x: unknown, path: string, limits: ValueLimits): ValueData {
  if (typeof x === 'string') return { format: 'string', value: readStringData(x, path, limits) };
  const obj = readObject(x, path, DATA_KEYS, 'a string or an object {"format", "value"}');
  const format = required(obj, 'format', path);
  if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
    fail(at(path, 'format'), `must be one of ${FORMATS.map((f) => `"${f}"`).join(', ')}; got ${describe(format)}`);
  }
  const valuePath = at(path, 'value');
  const value = required(obj, 'value', path);
  switch (format as ValueFormat) {
    case 'string':
      return { format: 'string', value: readStringData(value, valuePath, limits) };
    case 'base64':
      return { format: 'base64', value: readBase64(value, valuePath, limits) };
    case 'hex':
      return { format: 'hex', value: readHex(value, valuePath, limits) };
    case 'admin':
      return { format: 'admin', value: readAdmin(value, valuePath) };
    case 'vlist':
      return { format: 'vlist', value: readReferences(value, valuePath, limits) };
  }
}

function readStringData(x: unknown, path: string, limits: ValueLimits): string {
  if (typeof x !== 'string') fail(path, `must be a string; got ${describe(x)}`);
  // Data is stored as UTF-8; an unpaired surrogate would silently become U+FFFD.
  const surrogate = findLoneSurrogate(x);
  if (surrogate) fail(path, `contains an unpaired UTF-16 surrogate ${surrogate.codePoint} at position ${surrogate.position}`);
  const bytes = utf8Bytes(x);
  if (bytes > limits.maxDataBytes) fail(path, `is ${bytes} bytes in UTF-8; the limit is ${limits.maxDataBytes}`);
  return x;
}

function readBase64(x: unknown, path: string, limits: ValueLimits): string {
  if (typeof x !== 'string') fail(path, `must be a base64 string; got ${describe(x)}`);
  if (!BASE64.test(x)) fail(path, 'is not valid base64 (standard alphabet, padded to a multiple of 4 characters)');
  const padding = x.endsWith('==') ? 2 : x.endsWith('=') ? 1 : 0;
  const bytes = (x.length / 4) * 3 - padding;
  if (bytes > limits.maxDataBytes) fail(path, `decodes to ${bytes} bytes; the limit is ${limits.maxDataBytes}`);
  // Only non-zero bits after the last full byte survive the pattern; they make a second spelling of the same bytes.
  if (Buffer.from(x, 'base64').toString('base64') !== x) fail(path, 'is not canonical base64 (unused trailing bits are not zero)');
  return x;
}

function readHex(x: unknown, path: string, limits: ValueLimits): string {
  if (typeof x !== 'string') fail(path, `must be a hex string; got ${describe(x)}`);
  if (!HEX.test(x)) fail(path, 'must contain only hex digits 0-9, a-f');
  if (x.length % 2 !== 0) fail(path, `must have an even number of hex digits; got ${x.length}`);
  const bytes = x.length / 2;
  if (bytes > limits.maxDataBytes) fail(path, `decodes to ${bytes} bytes; the limit is ${limits.maxDataBytes}`);
  // One spelling per byte string, so stored values compare equal.
  return x.toLowerCase();
}

function readAdmin(x: unknown, path: string): AdminValue {
  const obj = readObject(x, path, ADMIN_KEYS, 'an object {"handle", "index", "permissions"}');
  return {
    handle: readHandle(required(obj, 'handle', path), at(path, 'handle')),
    index: readIndex(required(obj, 'index', path), at(path, 'index'), 1),
    permissions: readPattern(required(obj, 'permissions', path), at(path, 'permissions'), ADMIN_PERMISSIONS, '12 characters of 0/1'),
  };
}

function readReferences(x: unknown, path: string, limits: ValueLimits): ValueReference[] {
  if (!Array.isArray(x)) fail(path, `must be an array of {"handle", "index"}; got ${describe(x)}`);
  if (x.length > limits.maxReferences) fail(path, `has ${x.length} entries; the limit is ${limits.maxReferences}`);
  return x.map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const obj = readObject(item, itemPath, REFERENCE_KEYS, 'an object {"handle", "index"}');
    return {
      handle: readHandle(required(obj, 'handle', itemPath), at(itemPath, 'handle')),
      // 0 is allowed here: in Handle identity notation index 0 means "at any index" (TechManual §1.4).
      index: readUint(required(obj, 'index', itemPath), at(itemPath, 'index'), 0),
    };
  });
}

function readHandle(x: unknown, path: string): string {
  if (typeof x !== 'string') fail(path, `must be a handle string; got ${describe(x)}`);
  try {
    parseHandle(x);
  } catch (error) {
    if (error instanceof IdentifierError) fail(path, `is not a valid handle: ${error.message}`);
    throw error;
  }
  return x;
}

function readType(x: unknown, path: string, limits: ValueLimits): string {
  if (typeof x !== 'string') fail(path, `must be a string; got ${describe(x)}`);
  if (x.length === 0) fail(path, 'must not be empty');
  const surrogate = findLoneSurrogate(x);
  if (surrogate) fail(path, `contains an unpaired UTF-16 surrogate ${surrogate.codePoint} at position ${surrogate.position}`);
  const control = findControlCharacter(x);
  if (control) fail(path, `contains control character ${control.codePoint} at position ${control.position}`);
  const bytes = utf8Bytes(x);
  if (bytes > limits.maxTypeBytes) fail(path, `is ${bytes} bytes in UTF-8; the limit is ${limits.maxTypeBytes}`);
  if (x.endsWith('.')) fail(path, `${quote(x)} must not end with "." (a trailing "." is only for querying a type hierarchy)`);
  return x;
}

function readTtl(x: unknown, path: string): Ttl {
  if (typeof x === 'number') {
    return { type: 'relative', seconds: readUint(x, path, 0, MAX_RELATIVE_TTL_SECONDS) };
  }
  if (typeof x === 'string') return { type: 'absolute', expiresAt: readDateTime(x, path) };
  fail(path, `must be a number of seconds (relative) or an ISO 8601 date-time (absolute); got ${describe(x)}`);
}

/** Parses an ISO 8601 / RFC 3339 date-time with a zone into epoch seconds, dropping fractional seconds. */
function readDateTime(x: unknown, path: string): number {
  if (typeof x !== 'string') fail(path, `must be an ISO 8601 date-time string; got ${describe(x)}`);
  const m = ISO_8601.exec(x);
  if (!m) fail(path, `must be an ISO 8601 date-time with a zone, e.g. 2026-11-23T10:00:00Z; got ${quote(x)}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const zone = m[7];
  const daysInMonth = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    fail(path, `is not a real date-time: ${quote(x)}`);
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) fail(path, `has an invalid zone offset: ${quote(x)}`);
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Handle timestamps count seconds since 1970; a year below 1900 would also hit Date.UTC's two-digit-year rule.
  const seconds = year < 1900 ? -1 : Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offsetMinutes * 60;
  if (seconds < 0 || seconds > MAX_EPOCH_SECONDS) {
    fail(path, `must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z; got ${quote(x)}`);
  }
  return seconds;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function formatEpochSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nowOf(opts: { now?: Date }): Date {
  const now = opts.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new RangeError('opts.now is an invalid Date');
  return now;
}

/**
 * An HS_ADMIN index: a JSON number, or its decimal digits as a string ("200"), as pyhandle sends
 * the index of its HS_ADMIN value and of the admin handle in it. Only canonical digits (no sign, space, exponent or
 * leading zero) are read as a number; anything else is refused as readUint refuses it.
 */
function readIndex(x: unknown, path: string, min: number): number {
  if (typeof x === 'string' && /^(0|[1-9][0-9]{0,9})$/.test(x)) return readUint(Number(x), path, min);
  return readUint(x, path, min);
}

function readUint(x: unknown, path: string, min: number, max = MAX_VALUE_INDEX): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    const reserved = min === 1 && x === 0 ? ' (0 is reserved)' : '';
    fail(path, `must be an integer from ${min} to ${max}${reserved}; got ${describe(x)}`);
  }
  return x + 0; // JSON.parse('-0') yields -0; store plain 0
}

function readPattern(x: unknown, path: string, pattern: RegExp, what: string): string {
  if (typeof x !== 'string' || !pattern.test(x)) fail(path, `must be ${what}; got ${describe(x)}`);
  return x;
}

function readObject(x: unknown, path: string, allowed: readonly string[], what: string): JsonObject {
  if (!isObject(x)) fail(path, `must be ${what}; got ${describe(x)}`);
  for (const key of Object.keys(x)) {
    if (!allowed.includes(key)) {
      fail(at(path, key), `is not an allowed property here (allowed: ${allowed.join(', ')})`);
    }
  }
  return x;
}

function required(obj: JsonObject, key: string, path: string): unknown {
  if (obj[key] === undefined) fail(at(path, key), 'is required');
  return obj[key];
}

function copyDataValue(data: ValueData): unknown {
  switch (data.format) {
    case 'admin':
      return { handle: data.value.handle, index: data.value.index, permissions: data.value.permissions };
    case 'vlist':
      return data.value.map(copyReference);
    default:
      return data.value;
  }
}

function copyReference(r: ValueReference): ValueReference {
  return { handle: r.handle, index: r.index };
}

function jsonBytes(x: unknown): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(x);
  } catch {
    throw new ValueError('', 'record is not representable as JSON');
  }
  return json === undefined ? 0 : utf8Bytes(json);
}

function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return quote(x, 40);
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  return typeof x;
}

function fail(path: string, detail: string): never {
  throw new ValueError(path, `${path || 'value'} ${detail}`);
}
