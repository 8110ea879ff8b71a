import { createHash } from 'node:crypto';
import { filterValues, type HandleJsonValue, visibleValues } from '@idis/identifier';
import type { CacheEntry, FoundRecord } from './resolution.types';

/** Which values a caller sees: public ones, or also admin-readable ones, then index/type filters. */
export interface ResolutionView {
  indexes: number[];
  types: string[];
  /** The caller is the owning enterprise or an operator and did not ask for publicOnly. */
  privateAllowed: boolean;
}

/** A reply rendered once, with its validators, ready to write to any HTTP front door. */
export interface RenderedReply {
  status: number;
  body: string;
  etag: string;
  cacheControl: string;
}

export function isPlainView(view: ResolutionView): boolean {
  return !view.privateAllowed && view.indexes.length === 0 && view.types.length === 0;
}

/**
 * The Handle.Net REST resolution reply. The common case (anonymous, no filters) is one string
 * concatenation around the record's precomputed public values, so a cache hit costs no JSON work.
 */
export function renderHandleReply(entry: CacheEntry, requestHandle: string, view: ResolutionView, negativeTtlSeconds: number): RenderedReply {
  const handleJson = JSON.stringify(requestHandle);
  if (entry.kind === 'missing') {
    return {
      status: 404,
      body: `{"responseCode":100,"handle":${handleJson},"message":${JSON.stringify(`handle ${requestHandle} not found`)}}`,
      etag: `"missing-${entry.handleKey.length}"`,
      cacheControl: negativeTtlSeconds > 0 ? `public, max-age=${negativeTtlSeconds}` : 'no-cache',
    };
  }
  const cacheControl = cacheControlFor(entry, view.privateAllowed);
  if (isPlainView(view)) {
    return { status: 200, body: `{"responseCode":1,"handle":${handleJson},"values":${entry.publicValuesJson}}`, etag: `"${entry.etag}.p"`, cacheControl };
  }
  const values = filterValues(visibleValues(entry.values, view.privateAllowed), { indexes: view.indexes, types: view.types });
  const filtered = view.indexes.length > 0 || view.types.length > 0;
  const responseCode = filtered && values.length === 0 ? 200 : 1;
  return {
    status: 200,
    body: `{"responseCode":${responseCode},"handle":${handleJson},"values":${JSON.stringify(values)}}`,
    etag: `"${entry.etag}.${viewTag(view)}"`,
    cacheControl,
  };
}

/** The bytes of an anonymous, unfiltered reply, kept with the cache entry for the spelling last asked. */
interface PlainBytes {
  handle: string;
  body: Buffer;
  etag: string;
  /** Cache-Control for `age`, the whole seconds since the entry was loaded: max-age changes with it. */
  age: number;
  cacheControl: string;
}

/** The media type of a resolution's JSON reply. */
export const RESOLUTION_JSON_TYPE = 'application/json; charset=utf-8';
/** What a resolution's reply varies by: the representation and the caller's credentials. */
export const RESOLUTION_VARY = 'Accept, Authorization, X-API-Key';

/**
 * Kept on the cache entry itself (a symbol: never serialised, never seen by other readers): a
 * changed record is a new entry, so a stale body cannot be served.
 */
const PLAIN_BYTES = Symbol('idis:plain-reply-bytes');
type WithBytes = CacheEntry & { [PLAIN_BYTES]?: PlainBytes };

/**
 * renderHandleReply for the hot case (no credential, no ?index=/?type=), as bytes: a repeated
 * resolution of one identifier writes the same bytes without building or encoding them again.
 */
export function renderPlainReply(entry: CacheEntry, requestHandle: string, negativeTtlSeconds: number, now = Date.now()): { status: number; body: Buffer; etag: string; cacheControl: string } {
  const holder = entry as WithBytes;
  let bytes = holder[PLAIN_BYTES];
  if (bytes === undefined || bytes.handle !== requestHandle) {
    const rendered = renderHandleReply(entry, requestHandle, PLAIN_VIEW, negativeTtlSeconds);
    bytes = { handle: requestHandle, body: Buffer.from(rendered.body, 'utf8'), etag: rendered.etag, age: -1, cacheControl: '' };
    holder[PLAIN_BYTES] = bytes;
  }
  const age = Math.floor((now - entry.loadedAt) / 1000);
  if (bytes.age !== age) {
    bytes.age = age;
    bytes.cacheControl =
      entry.kind === 'missing' ? (negativeTtlSeconds > 0 ? `public, max-age=${negativeTtlSeconds}` : 'no-cache') : cacheControlFor(entry, false, now);
  }
  return { status: entry.kind === 'missing' ? 404 : 200, body: bytes.body, etag: bytes.etag, cacheControl: bytes.cacheControl };
}

const PLAIN_VIEW: ResolutionView = { indexes: [], types: [], privateAllowed: false };

/** max-age is what is left of the record's TTL since it was loaded, so no cache holds it longer than the node would. */
export function cacheControlFor(record: FoundRecord, privateView: boolean, now = Date.now()): string {
  const remaining = record.ttlSeconds - Math.floor((now - record.loadedAt) / 1000);
  if (record.ttlSeconds <= 0 || remaining <= 0) return 'no-cache';
  return `${privateView ? 'private' : 'public'}, max-age=${remaining}`;
}

/** RFC 9110 §13.1.2: If-None-Match matches any listed entity tag (weak comparison), or "*". */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

function viewTag(view: ResolutionView): string {
  const key = `${view.privateAllowed ? 'a' : 'p'}|${view.indexes.join(',')}|${view.types.join(',')}`;
  return createHash('sha1').update(key).digest('base64url').slice(0, 12);
}
