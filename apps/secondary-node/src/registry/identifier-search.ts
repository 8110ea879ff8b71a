import { handleLookupKey } from '@idis/identifier';

/**
 * How GET /api/v1/identifiers searches, without an index beyond the primary key:
 *
 * * The scope is a set of primary-key ranges, one per prefix the caller may list: every key under
 *   prefix P lies in [P + '/', P + '0') (identifier.entity.ts), so listing a prefix is a range scan.
 * * `suffix` (starts-with) narrows each range to [P/s, successor(P/s)): still a range scan, and
 *   ASCII-case-insensitive like every handle lookup.
 * * `value` (a value's text contains the term) is a filter on the rows of those ranges, which
 *   examines at most VALUE_SCAN_LIMIT identifiers of each range, in key order (the reply says
 *   when a range held more: narrow with `prefix` or `suffix`). A trigram index would make the
 *   search itself fast, but it made bulk registration about six times slower (100,000 rows of four
 *   values: 2.0 s without, 12.7 s with a GIN pg_trgm index on the values' text), and registration
 *   throughput is this node's first promise. The heavy-read pool's statement timeout bounds the rest.
 * * `total` is counted up to MAX_COUNTED matches, and pages stop there too.
 */
export const VALUE_SCAN_LIMIT = 100_000;
export const MAX_COUNTED = 100_000;
export const MAX_SUFFIX_LENGTH = 255;
export const MAX_VALUE_TERM_LENGTH = 100;

/** Keys from `from` (included) to `to` (excluded), compared bytewise (the "C" collation). */
export interface KeyRange {
  from: string;
  to: string;
}

export interface IdentifierSearch {
  /** Disjoint, in key order; undefined: the whole table (an operator's listing without prefix). */
  ranges: KeyRange[] | undefined;
  value?: {
    /** ILIKE pattern of one value's text. */
    pattern: string;
    /** ILIKE pattern of the record's jsonb text that every match also matches, when there is one. */
    recordTextPattern: string | undefined;
    scanLimit: number;
  };
}

/** The key ranges of `prefixKeys`, narrowed to suffixes starting with `suffix`, in key order. */
export function keyRanges(prefixKeys: string[], suffix: string | undefined): KeyRange[] {
  const start = suffix === undefined ? '' : handleLookupKey(suffix);
  return [...new Set(prefixKeys)]
    .map((prefixKey) => {
      const from = `${prefixKey}/${start}`;
      return { from, to: successor(from) };
    })
    .sort((a, b) => Buffer.compare(Buffer.from(a.from), Buffer.from(b.from)));
}

/**
 * The least string above every string that starts with `text`, in code point order (which is the
 * byte order of UTF-8, the "C" collation): the last code point plus one.
 */
export function successor(text: string): string {
  const codePoints = [...text].map((c) => c.codePointAt(0) as number);
  while (codePoints.length > 0) {
    let last = (codePoints.pop() as number) + 1;
    if (last >= 0xd800 && last <= 0xdfff) last = 0xe000;
    if (last <= 0x10ffff) return String.fromCodePoint(...codePoints, last);
  }
  // Only a string of U+10FFFF alone gets here; nothing sorts above it.
  return String.fromCodePoint(0x10ffff).repeat(text.length + 1);
}

/** The ILIKE pattern matching any text that contains `term` (its %, _ and \ taken literally). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The pattern for the record's jsonb text, which writes a string value as it is except for what
 * JSON escapes (", \ and control characters): a term without those appears there verbatim
 * wherever it appears in a value, so the record text is a safe first test. With them, there is
 * no such test (undefined).
 */
export function recordTextPattern(term: string): string | undefined {
  return /["\\\u0000-\u001f]/.test(term) ? undefined : containsPattern(term);
}
