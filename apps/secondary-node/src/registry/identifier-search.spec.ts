import { containsPattern, keyRanges, recordTextPattern, successor } from './identifier-search';

describe('identifier search ranges', () => {
  it('bounds a prefix by [P/, P0) and a suffix start by its successor', () => {
    expect(keyRanges(['88.118.8'], undefined)).toEqual([{ from: '88.118.8/', to: '88.118.80' }]);
    expect(keyRanges(['88.118.8'], 'SKU-')).toEqual([{ from: '88.118.8/sku-', to: '88.118.8/sku.' }]);
  });

  it('orders ranges by their keys, not by the prefixes ("." sorts before "/")', () => {
    const ranges = keyRanges(['88.118.5', '88.118.5.1', '88.118.5'], undefined);
    expect(ranges.map((r) => r.from)).toEqual(['88.118.5.1/', '88.118.5/']);
    for (let i = 1; i < ranges.length; i += 1) expect(Buffer.compare(Buffer.from(ranges[i - 1].to), Buffer.from(ranges[i].from))).toBeLessThanOrEqual(0);
  });

  it('takes the successor by code point, skipping surrogates and carrying past U+10FFFF', () => {
    expect(successor('ab')).toBe('ac');
    expect(successor('红')).toBe(String.fromCodePoint('红'.codePointAt(0)! + 1));
    expect(successor('a\uD7FF')).toBe('a\uE000');
    expect(successor(`a${String.fromCodePoint(0x10ffff)}`)).toBe('b');
    expect(successor('x😀')).toBe(`x${String.fromCodePoint(0x1f601)}`);
    // Every string starting with the text sorts below the successor, bytewise (UTF-8 = the "C" collation).
    for (const text of ['88.118.8/a', '88.118.8/红', '88.118.8/😀']) {
      const upper = Buffer.from(successor(text));
      for (const longer of [text, `${text}\u0000`, `${text}zzz`, `${text}${String.fromCodePoint(0x10ffff)}`]) {
        expect(Buffer.compare(Buffer.from(longer), upper)).toBeLessThan(0);
      }
    }
  });

  it('takes %, _ and \\ in a term literally, and tests the record text only when JSON writes the term as it is', () => {
    expect(containsPattern('50%_a\\b')).toBe('%50\\%\\_a\\\\b%');
    expect(recordTextPattern('红色 500ml')).toBe('%红色 500ml%');
    expect(recordTextPattern('say "hi"')).toBeUndefined();
    expect(recordTextPattern('a\\b')).toBeUndefined();
  });
});
