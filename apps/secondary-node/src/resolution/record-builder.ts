import { createHash } from 'node:crypto';
import { effectiveTtlSeconds, isPublicReadable, valueFromJson, valueToJson } from '@idis/identifier';
import type { IdentifierRecord } from '../registry/identifier.repository';
import type { FoundRecord, MissingRecord } from './resolution.types';

/**
 * Turns a stored identifier row into the cache entry every tier holds. Runs once per fill, so the
 * work an answer needs (ordering, TTL, validator, the public reply body) is done here and never on
 * a cache hit.
 */
export function buildFoundRecord(handleKey: string, record: IdentifierRecord, nowMs: number): FoundRecord {
  // Stored values are canonical Handle JSON written by this node, but jsonb does not keep key
  // order: parsing and re-serialising gives every reply the Handle.Net key order again.
  const parsed = record.values
    .map((json, i) => valueFromJson(json, { path: `stored[${i}]`, now: new Date(nowMs) }))
    .sort((a, b) => a.index - b.index);
  const values = parsed.map(valueToJson);
  const valuesJson = JSON.stringify(values);
  const publicValues = values.filter((_, i) => isPublicReadable(parsed[i]));
  return {
    kind: 'found',
    handle: record.handle,
    handleKey,
    prefixKey: record.prefixKey,
    values,
    templateVersion: record.templateVersion,
    version: record.version,
    updatedAt: record.updatedAt.toISOString(),
    ttlSeconds: effectiveTtlSeconds(parsed, nowMs / 1000),
    etag: recordEtag(handleKey, record.version, valuesJson),
    publicValuesJson: JSON.stringify(publicValues),
    loadedAt: nowMs,
  };
}

export function buildMissingRecord(handleKey: string, prefixKey: string, nowMs: number): MissingRecord {
  return { kind: 'missing', handleKey, prefixKey, loadedAt: nowMs };
}

/**
 * Strong validator of the full record (base64url SHA-1, no quotes: the front door adds the quotes
 * and whatever distinguishes its representations, e.g. public-only vs. authorised views).
 */
export function recordEtag(handleKey: string, version: number, valuesJson: string): string {
  return createHash('sha1').update(handleKey).update('\n').update(String(version)).update('\n').update(valuesJson).digest('base64url');
}
