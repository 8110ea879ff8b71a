import type { HandleJsonValue } from '@idis/identifier';

/** Where an answer came from: counted and timed per tier. */
export type ResolutionTier = 'l1' | 'l2' | 'db';

/**
 * What the caches hold for one identifier: the FULL record (every value, whatever its
 * permissions). Filtering by permission happens on the way out, so a public caller can never
 * receive a non-public value from a cache.
 */
export interface FoundRecord {
  kind: 'found';
  /** The handle as it was registered (original spelling). */
  handle: string;
  handleKey: string;
  prefixKey: string;
  /** Every value, in the Handle.Net JSON form, ordered by index (parsed from valuesJson on first use). */
  readonly values: HandleJsonValue[];
  /** JSON text of `values`. */
  valuesJson: string;
  templateVersion: string | null;
  version: number;
  /** ISO 8601 of the last change. */
  updatedAt: string;
  /** How long this record may be cached, from its values' TTLs (0 = never). */
  ttlSeconds: number;
  /** Strong validator of the full record: changes whenever any value changes. */
  etag: string;
  /** JSON text of the values with public read permission, precomputed for anonymous replies. */
  publicValuesJson: string;
  /**
   * Epoch milliseconds when this record was read from PostgreSQL. With ttlSeconds it gives the
   * instant every cached copy expires, so an L1 copy filled from L2 does not outlive the L2 entry
   * (and a front door can send the remaining lifetime as max-age).
   */
  loadedAt: number;
}

/** A cached "not found", kept briefly and evicted when the identifier is created. */
export interface MissingRecord {
  kind: 'missing';
  handleKey: string;
  prefixKey: string;
  /** Epoch milliseconds when PostgreSQL answered "not found" (see FoundRecord.loadedAt). */
  loadedAt: number;
  /** A foreign prefix the top-level node does not know (cross-node resolution). */
  prefixUnknown?: boolean;
  /** A foreign prefix whose node answered "no such identifier": that node's id. */
  servedBy?: string;
}

export type CacheEntry = FoundRecord | MissingRecord;

export interface Resolution {
  entry: CacheEntry;
  tier: ResolutionTier;
}
