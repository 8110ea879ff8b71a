import { DEFAULT_TTL_SECONDS, effectiveTtlSeconds, type HandleJsonValue, isPubliclyReadable, type Ttl } from '@idis/identifier';
import type { ResolutionRow } from '../registry/identifier.repository';
import type { CacheEntry, FoundRecord, MissingRecord } from './resolution.types';

type FoundHeader = Omit<FoundRecord, 'kind' | 'values' | 'valuesJson' | 'publicValuesJson'>;

/**
 * A found record whose full value list is parsed only when a view needs it (an authorised or
 * filtered request): the anonymous reply needs only `publicValuesJson`, so an L2 hit parses a
 * small header and nothing else.
 */
class StoredRecord implements FoundRecord {
  readonly kind = 'found' as const;
  handle: string;
  handleKey: string;
  prefixKey: string;
  templateVersion: string | null;
  version: number;
  updatedAt: string;
  ttlSeconds: number;
  etag: string;
  loadedAt: number;
  // An ES private field: not an own enumerable property, so records compare by their data only.
  #parsed: HandleJsonValue[] | undefined;

  constructor(
    header: FoundHeader,
    readonly publicValuesJson: string,
    readonly valuesJson: string,
    values?: HandleJsonValue[],
  ) {
    this.handle = header.handle;
    this.handleKey = header.handleKey;
    this.prefixKey = header.prefixKey;
    this.templateVersion = header.templateVersion;
    this.version = header.version;
    this.updatedAt = header.updatedAt;
    this.ttlSeconds = header.ttlSeconds;
    this.etag = header.etag;
    this.loadedAt = header.loadedAt;
    this.#parsed = values;
  }

  get values(): HandleJsonValue[] {
    this.#parsed ??= JSON.parse(this.valuesJson) as HandleJsonValue[];
    return this.#parsed;
  }
}

/**
 * Turns a stored row into the cache entry every tier holds. Runs once per fill, so the work an
 * answer needs (ordering, TTL, validator, the public reply body) is done here and never on a hit.
 * The values were validated when they were written; here they are only put back in Handle.Net key
 * order (jsonb does not keep key order) without validating them again.
 */
export function buildFoundRecord(handleKey: string, row: ResolutionRow, nowMs: number): FoundRecord {
  const values = (JSON.parse(row.valuesJson) as HandleJsonValue[]).map(canonicalValue).sort((a, b) => a.index - b.index);
  const valuesJson = JSON.stringify(values);
  const publicValues = values.filter(isPubliclyReadable);
  const header: FoundHeader = {
    handle: row.handle,
    handleKey,
    prefixKey: row.prefixKey,
    templateVersion: row.templateVersion,
    version: row.version,
    updatedAt: row.updatedAt,
    ttlSeconds: effectiveTtlSeconds(values.map(ttlOf), nowMs / 1000),
    etag: recordEtag(row.version, row.updatedAt),
    loadedAt: nowMs,
  };
  return new StoredRecord(header, publicValues.length === values.length ? valuesJson : JSON.stringify(publicValues), valuesJson, values);
}

export function buildMissingRecord(handleKey: string, prefixKey: string, nowMs: number): MissingRecord {
  return { kind: 'missing', handleKey, prefixKey, loadedAt: nowMs };
}

/**
 * Strong validator of the full record, without hashing its values: every write bumps the row's
 * version and sets its update time, and a deleted and re-created handle starts again at version 1
 * with a later time, so (version, update time) changes whenever the record does. No quotes: the
 * front door adds them and whatever distinguishes its representations (public vs. authorised).
 */
export function recordEtag(version: number, updatedAt: string): string {
  return `${version}-${updatedAt.replace(/[^0-9]/g, '')}`;
}

const CODEC_FOUND_V1 = 'f1\n';
/** Like f1, but an empty last line means "the full values are the public values" (the usual case). */
const CODEC_FOUND = 'f2\n';
const CODEC_MISSING = 'm1\n';

/**
 * The L2 (Redis) form of an entry: a small JSON header, then the public values text and the full
 * values text, one per line (JSON text never contains a raw newline); the full values are left out
 * (an empty line) when every value is public, which halves what an L2 hit moves for most records.
 * Reading it back parses only the header. Older replicas do not know f2 and read it as a miss.
 */
export function encodeEntry(entry: CacheEntry): string {
  if (entry.kind === 'missing') {
    const { kind: _kind, ...missing } = entry;
    return `${CODEC_MISSING}${JSON.stringify(missing)}`;
  }
  const header: FoundHeader = {
    handle: entry.handle,
    handleKey: entry.handleKey,
    prefixKey: entry.prefixKey,
    templateVersion: entry.templateVersion,
    version: entry.version,
    updatedAt: entry.updatedAt,
    ttlSeconds: entry.ttlSeconds,
    etag: entry.etag,
    loadedAt: entry.loadedAt,
  };
  const full = entry.valuesJson === entry.publicValuesJson ? '' : entry.valuesJson;
  return `${CODEC_FOUND}${JSON.stringify(header)}\n${entry.publicValuesJson}\n${full}`;
}

/** Undefined for anything that is not a well-formed entry (e.g. written by another version). */
export function decodeEntry(text: string): CacheEntry | undefined {
  try {
    if (text.startsWith(CODEC_MISSING)) {
      const missing = JSON.parse(text.slice(CODEC_MISSING.length)) as Omit<MissingRecord, 'kind'>;
      if (typeof missing.handleKey !== 'string' || typeof missing.loadedAt !== 'number') return undefined;
      const entry: MissingRecord = { kind: 'missing', handleKey: missing.handleKey, prefixKey: missing.prefixKey, loadedAt: missing.loadedAt };
      if (missing.prefixUnknown === true) entry.prefixUnknown = true;
      if (typeof missing.servedBy === 'string') entry.servedBy = missing.servedBy;
      return entry;
    }
    const v2 = text.startsWith(CODEC_FOUND);
    if (!v2 && !text.startsWith(CODEC_FOUND_V1)) return undefined;
    const headerEnd = text.indexOf('\n', CODEC_FOUND.length);
    const publicEnd = text.indexOf('\n', headerEnd + 1);
    if (headerEnd < 0 || publicEnd < 0) return undefined;
    const header = JSON.parse(text.slice(CODEC_FOUND.length, headerEnd)) as FoundHeader;
    if (typeof header.handleKey !== 'string' || typeof header.loadedAt !== 'number' || typeof header.etag !== 'string') return undefined;
    const publicValuesJson = text.slice(headerEnd + 1, publicEnd);
    const full = text.slice(publicEnd + 1);
    if (!v2 && full === '') return undefined;
    return new StoredRecord(header, publicValuesJson, full === '' ? publicValuesJson : full);
  } catch {
    return undefined;
  }
}

function ttlOf(value: HandleJsonValue): { ttl: Ttl } {
  if (typeof value.ttl === 'string') return { ttl: { type: 'absolute', expiresAt: Math.floor(Date.parse(value.ttl) / 1000) } };
  return { ttl: { type: 'relative', seconds: value.ttl ?? DEFAULT_TTL_SECONDS } };
}

/** The Handle.Net key order: index, type, data {format, value}, ttl, timestamp, permissions, references. */
function canonicalValue(raw: HandleJsonValue): HandleJsonValue {
  const value: HandleJsonValue = { index: raw.index, type: raw.type, data: { format: raw.data.format, value: canonicalData(raw.data.format, raw.data.value) } };
  if (raw.ttl !== undefined) value.ttl = raw.ttl;
  if (raw.timestamp !== undefined) value.timestamp = raw.timestamp;
  if (raw.permissions !== undefined) value.permissions = raw.permissions;
  if (raw.references !== undefined) value.references = raw.references.map((r) => ({ handle: r.handle, index: r.index }));
  return value;
}

function canonicalData(format: string, data: unknown): unknown {
  if (format === 'admin' && data && typeof data === 'object') {
    const admin = data as { handle: string; index: number; permissions: string };
    return { handle: admin.handle, index: admin.index, permissions: admin.permissions };
  }
  if (format === 'vlist' && Array.isArray(data)) return (data as Array<{ handle: string; index: number }>).map((r) => ({ handle: r.handle, index: r.index }));
  return data;
}
