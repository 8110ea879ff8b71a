import type { CacheEntry } from './resolution.types';

/**
 * What one L1 entry costs on the V8 heap, estimated at fill from what it holds, so that the L1's
 * byte bound (CACHE_L1_MAX_BYTES) bounds the heap the cache really takes, not the size of the
 * entry's serialised (L2) form, which is 3–4 times smaller than its heap footprint.
 *
 * - each string: a 16-byte header, then 1 byte per character if every character fits Latin-1 and 2
 *   otherwise (Chinese product names make the value JSON a two-byte string), rounded up to 8;
 * - a record filled from PostgreSQL also keeps its parsed value list (objects, not text): counted at
 *   PARSED_VALUES_PER_CHAR bytes per character of its JSON, whether parsed yet or not (a record filled
 *   from L2 parses it on the first authorised read), so that the bound holds either way;
 * - a fixed part: the record object, the {entry, tier} answer, the cache's entry node and Map slot;
 * - the anonymous reply's bytes that the first L1 hit keeps on the entry (reply-builder.ts
 *   renderPlainReply): its UTF-8 body (the public values, the handle and ~60 bytes of envelope)
 *   plus PLAIN_REPLY_OVERHEAD_BYTES for the Buffer, its holder object, the ETag and Cache-Control.
 *
 * The constants were measured with the resolution benchmark's row (h) (heap growth after a full GC ÷
 * entries; see benchmarks/results/resolution-steps-latest.md) and l1-weight.spec.ts, on Node 20.
 */
export const ENTRY_OVERHEAD_BYTES = 360;
export const PARSED_VALUES_PER_CHAR = 1.75;
export const PLAIN_REPLY_OVERHEAD_BYTES = 220;
/** The reply's JSON around the handle and the values: {"responseCode":1,"handle":…,"values":…} or the not-found message. */
const PLAIN_REPLY_ENVELOPE_BYTES = 64;

export function l1EntryWeight(entry: CacheEntry): number {
  if (entry.kind === 'missing') {
    // The not-found reply names the handle twice.
    return ENTRY_OVERHEAD_BYTES + stringBytes(entry.handleKey) + stringBytes(entry.prefixKey) + plainReplyBytes(2 * Buffer.byteLength(entry.handleKey, 'utf8'));
  }
  let bytes =
    ENTRY_OVERHEAD_BYTES +
    stringBytes(entry.handle) +
    stringBytes(entry.handleKey) +
    stringBytes(entry.prefixKey) +
    stringBytes(entry.updatedAt) +
    stringBytes(entry.etag) +
    stringBytes(entry.valuesJson) +
    (entry.templateVersion === null ? 0 : stringBytes(entry.templateVersion)) +
    PARSED_VALUES_PER_CHAR * entry.valuesJson.length;
  if (entry.publicValuesJson !== entry.valuesJson) bytes += stringBytes(entry.publicValuesJson);
  bytes += plainReplyBytes(Buffer.byteLength(entry.publicValuesJson, 'utf8') + Buffer.byteLength(entry.handle, 'utf8'));
  return Math.ceil(bytes);
}

function plainReplyBytes(contentBytes: number): number {
  return PLAIN_REPLY_OVERHEAD_BYTES + ((contentBytes + PLAIN_REPLY_ENVELOPE_BYTES + 7) & ~7);
}

const TWO_BYTE = /[^\u0000-\u00ff]/;

function stringBytes(s: string): number {
  const raw = 16 + s.length * (TWO_BYTE.test(s) ? 2 : 1);
  return (raw + 7) & ~7;
}
