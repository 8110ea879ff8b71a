import fc from 'fast-check';
import {
  IdentifierError,
  IdentifierErrorCode,
  MAX_HANDLE_BYTES,
  MAX_PREFIX_BYTES,
  formatHandle,
  handleLookupKey,
  isDerivedPrefix,
  isDirectlyUnder,
  parseHandle,
  parsePrefix,
  tryParseHandle,
} from './index';
import { parseHandleCarefully } from './handle';
import { validHandle, validHandleParts, validPrefix } from './testing/arbitraries';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const upperAscii = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

function codeOf(fn: () => unknown): IdentifierErrorCode | 'NO_ERROR' {
  try {
    fn();
    return 'NO_ERROR';
  } catch (error) {
    if (error instanceof IdentifierError) return error.code;
    throw error;
  }
}

function errorOf(fn: () => unknown): IdentifierError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdentifierError) return error;
    throw error;
  }
  throw new Error('expected an IdentifierError');
}

const suffix246Multibyte = '产'.repeat(82); // 246 bytes; with "88.118.8/" exactly 255
const prefix64 = `88.${'1'.repeat(61)}`;

describe('parseHandle: valid identifiers', () => {
  const valid: Array<[string, string, string]> = [
    ['88.118.8/ABC123', '88.118.8', 'ABC123'],
    ['88.118.8/JXDY2106023', '88.118.8', 'JXDY2106023'],
    ['88.1021.150/002', '88.1021.150', '002'],
    ['88.101.0042/001', '88.101.0042', '001'],
    ['88.111.1/teleinfo.cn', '88.111.1', 'teleinfo.cn'],
    ['88.118.8/a/b/c', '88.118.8', 'a/b/c'],
    ['88.118.8/a/', '88.118.8', 'a/'],
    ['88.118.8//', '88.118.8', '/'],
    ['88.118.8/ with spaces ', '88.118.8', ' with spaces '],
    ['88.118.8/ ', '88.118.8', ' '],
    ['88.118.8/产品-01', '88.118.8', '产品-01'],
    ['88.118.8/🔧📦', '88.118.8', '🔧📦'],
    ['0.NA/88.118', '0.NA', '88.118'],
    ['0.NA/0.NA', '0.NA', '0.NA'],
    ['88.118.8/a:b', '88.118.8', 'a:b'],
    ['88.608.8899/META_zj02', '88.608.8899', 'META_zj02'],
    ['88.a-b_c.X_1-/x', '88.a-b_c.X_1-', 'x'],
    ['-._/x', '-._', 'x'],
    ['88/x', '88', 'x'],
    ['88.118.8/\u00a0nbsp\u200b', '88.118.8', '\u00a0nbsp\u200b'],
    [`88.118.8/${'x'.repeat(246)}`, '88.118.8', 'x'.repeat(246)],
    [`88.118.8/${suffix246Multibyte}`, '88.118.8', suffix246Multibyte],
    [`${prefix64}/x`, prefix64, 'x'],
  ];

  it.each(valid)('accepts %j', (input, prefix, suffix) => {
    const parsed = parseHandle(input);
    expect(parsed.handle).toBe(input);
    expect(parsed.prefix).toBe(prefix);
    expect(parsed.suffix).toBe(suffix);
    expect(formatHandle(parsed)).toBe(input);
  });

  it('boundary fixtures are exactly at the limits', () => {
    expect(bytes(`88.118.8/${'x'.repeat(246)}`)).toBe(MAX_HANDLE_BYTES);
    expect(bytes(`88.118.8/${suffix246Multibyte}`)).toBe(MAX_HANDLE_BYTES);
    expect(bytes(prefix64)).toBe(MAX_PREFIX_BYTES);
  });
});

describe('parseHandle: invalid identifiers', () => {
  const invalid: Array<[string, string, IdentifierErrorCode]> = [
    ['empty', '', 'EMPTY'],
    ['no slash', '88.118.8', 'MISSING_SLASH'],
    ['no slash, suffix-like', 'ABC123', 'MISSING_SLASH'],
    ['empty prefix', '/abc', 'EMPTY_PREFIX_SEGMENT'],
    ['only a slash', '/', 'EMPTY_PREFIX_SEGMENT'],
    ['empty suffix', '88.118.8/', 'EMPTY_SUFFIX'],
    ['double dot', '88..8/x', 'EMPTY_PREFIX_SEGMENT'],
    ['leading dot', '.88/x', 'EMPTY_PREFIX_SEGMENT'],
    ['trailing dot', '88./x', 'EMPTY_PREFIX_SEGMENT'],
    ['lone dot', './x', 'EMPTY_PREFIX_SEGMENT'],
    ['space in prefix', '88 .1/x', 'INVALID_PREFIX_CHARACTER'],
    ['leading space in prefix', ' 88.1/x', 'INVALID_PREFIX_CHARACTER'],
    ['non-ASCII letter in prefix', '88.1é/x', 'INVALID_PREFIX_CHARACTER'],
    ['CJK in prefix', '88.产品/x', 'INVALID_PREFIX_CHARACTER'],
    ['emoji in prefix', '88.🔧/x', 'INVALID_PREFIX_CHARACTER'],
    ['colon in prefix', '300:88.1/x', 'INVALID_PREFIX_CHARACTER'],
    ['@ in prefix', '88@1/x', 'INVALID_PREFIX_CHARACTER'],
    ['NUL in prefix', '88.1\u0000/x', 'CONTROL_CHARACTER'],
    ['BEL in prefix', '88\u0007.1/x', 'CONTROL_CHARACTER'],
    ['LF in prefix', '88.1\n/x', 'CONTROL_CHARACTER'],
    ['DEL in prefix', '\u007f88.1/x', 'CONTROL_CHARACTER'],
    ['NEL (C1) in prefix', '88.\u00851/x', 'CONTROL_CHARACTER'],
    ['NUL in suffix', '88.1/x\u0000', 'CONTROL_CHARACTER'],
    ['BEL in suffix', '88.1/\u0007x', 'CONTROL_CHARACTER'],
    ['LF in suffix', '88.1/x\ny', 'CONTROL_CHARACTER'],
    ['CR LF at end of suffix', '88.1/x\r\n', 'CONTROL_CHARACTER'],
    ['TAB in suffix', '88.1/a\tb', 'CONTROL_CHARACTER'],
    ['DEL in suffix', '88.1/x\u007f', 'CONTROL_CHARACTER'],
    ['NEL (C1) in suffix', '88.1/x\u0085', 'CONTROL_CHARACTER'],
    ['U+009F in suffix', '88.1/x\u009f', 'CONTROL_CHARACTER'],
    ['control character and no slash', 'abc\u0007', 'CONTROL_CHARACTER'],
    ['256 ASCII bytes', `88.118.8/${'x'.repeat(247)}`, 'HANDLE_TOO_LONG'],
    ['256 bytes with multibyte (85 UTF-16 units)', `88.118.8/${suffix246Multibyte}a`, 'HANDLE_TOO_LONG'],
    ['4-byte characters counted in bytes', `88.1/${'🔧'.repeat(63)}`, 'HANDLE_TOO_LONG'],
    ['65-byte prefix', `88.${'1'.repeat(62)}/x`, 'PREFIX_TOO_LONG'],
    ['lone high surrogate in suffix', '88.1/x\ud800', 'INVALID_UNICODE'],
    ['lone low surrogate in suffix', '88.1/\udc00x', 'INVALID_UNICODE'],
    ['reversed surrogate pair', '88.1/\udc00\ud800', 'INVALID_UNICODE'],
    ['lone surrogate in prefix', '88.\ud800/x', 'INVALID_UNICODE'],
  ];

  it.each(invalid)('rejects %s', (_name, input, code) => {
    expect(codeOf(() => parseHandle(input))).toBe(code);
    const result = tryParseHandle(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(IdentifierError);
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
  });

  it('the 4-byte fixture is short in UTF-16 but long in UTF-8', () => {
    const input = `88.1/${'🔧'.repeat(63)}`;
    expect(input.length).toBeLessThan(MAX_HANDLE_BYTES);
    expect(bytes(input)).toBe(257);
  });
});

describe('parseHandle: error messages name the offending part', () => {
  it('names the empty prefix segment by number', () => {
    expect(errorOf(() => parseHandle('88..8/x')).message).toBe('prefix segment 2 of "88..8" is empty');
    expect(errorOf(() => parseHandle('.88/x')).message).toBe('prefix segment 1 of ".88" is empty');
    expect(errorOf(() => parseHandle('88./x')).message).toBe('prefix segment 2 of "88." is empty');
  });

  it('gives the byte count of an over-long handle', () => {
    const input = `88.1/${'x'.repeat(295)}`;
    expect(errorOf(() => parseHandle(input)).message).toBe('handle is 300 bytes in UTF-8; the limit is 255');
  });

  it('gives code point, position and part for a control character', () => {
    const message = errorOf(() => parseHandle('88.118.8/abc\u0007')).message;
    expect(message).toContain('character U+0007 at position 12 is a control character');
    expect(message).toContain('in the suffix');
    expect(errorOf(() => parseHandle('88\u0000.1/x')).message).toContain('U+0000 at position 2 is a control character (in the prefix');
  });

  it('counts positions in code points, not UTF-16 units', () => {
    expect(errorOf(() => parseHandle('88.1/🔧🔧\u0085')).message).toContain('U+0085 at position 7 ');
  });

  it('names the invalid prefix character and its position', () => {
    const message = errorOf(() => parseHandle('88 .1/x')).message;
    expect(message).toContain('" " (U+0020) at position 2 of prefix "88 .1"');
    expect(errorOf(() => parseHandle('88.1é/x')).message).toContain('"é" (U+00E9) at position 4 of prefix "88.1é"');
  });

  it('names the lone surrogate', () => {
    const message = errorOf(() => parseHandle('88.1/ab\ud83d')).message;
    expect(message).toContain('U+D83D at position 7');
    expect(message).toContain('not valid Unicode');
  });

  it('names the prefix and its size when the prefix is too long', () => {
    const prefix = `88.${'1'.repeat(62)}`;
    expect(errorOf(() => parseHandle(`${prefix}/x`)).message).toBe(`prefix "${prefix}" is 65 bytes; the limit is 64`);
  });

  it('quotes the handle with an empty suffix or missing slash', () => {
    expect(errorOf(() => parseHandle('88.118.8/')).message).toContain('"88.118.8/"');
    expect(errorOf(() => parseHandle('88.118.8')).message).toContain('"88.118.8"');
  });

  it('escapes control characters when quoting the input', () => {
    const message = errorOf(() => parseHandle('88.1/a\nb')).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('"88.1/a\\nb"');
  });

  it('IdentifierError is an Error with a name', () => {
    const error = errorOf(() => parseHandle(''));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('IdentifierError');
    expect(error.code).toBe('EMPTY');
  });
});

describe('keys: ASCII case folding only, original spelling kept', () => {
  it('folds ASCII in key and prefixKey and keeps the spelling in handle/prefix/suffix', () => {
    const parsed = parseHandle('0.NA/88.118.8/AbC');
    expect(parsed).toEqual({
      handle: '0.NA/88.118.8/AbC',
      prefix: '0.NA',
      suffix: '88.118.8/AbC',
      key: '0.na/88.118.8/abc',
      prefixKey: '0.na',
    });
  });

  it('does not fold non-ASCII letters', () => {
    const parsed = parseHandle('88.X/ÄÉ-Ωmega-İ-ǅ');
    expect(parsed.key).toBe('88.x/ÄÉ-Ωmega-İ-ǅ');
    expect(handleLookupKey('ÀBÇ')).toBe('ÀbÇ');
  });

  it('does not normalise Unicode (composed and decomposed stay distinct)', () => {
    const composed = parseHandle('88.1/\u00e9');
    const decomposed = parseHandle('88.1/e\u0301');
    expect(composed.key).not.toBe(decomposed.key);
  });

  it('handles that differ only in ASCII case share a key', () => {
    expect(parseHandle('88.118.8/JXDY2106023').key).toBe(parseHandle('88.118.8/jxdy2106023').key);
    expect(parseHandle('88.118.8/JXDY2106023').handle).not.toBe(parseHandle('88.118.8/jxdy2106023').handle);
  });

  it('key and handle have the same length (folding never changes length)', () => {
    const parsed = parseHandle('88.1/KELVIN-\u212a');
    expect(parsed.key).toBe('88.1/kelvin-\u212a');
    expect(parsed.key.length).toBe(parsed.handle.length);
  });
});

describe('parsePrefix', () => {
  it('splits segments and folds case', () => {
    expect(parsePrefix('88.118.8')).toEqual({ prefix: '88.118.8', prefixKey: '88.118.8', segments: ['88', '118', '8'] });
    expect(parsePrefix('0.NA')).toEqual({ prefix: '0.NA', prefixKey: '0.na', segments: ['0', 'NA'] });
    expect(parsePrefix(prefix64).segments).toHaveLength(2);
  });

  it.each<[string, IdentifierErrorCode]>([
    ['', 'EMPTY'],
    ['88..8', 'EMPTY_PREFIX_SEGMENT'],
    ['.88', 'EMPTY_PREFIX_SEGMENT'],
    ['88.', 'EMPTY_PREFIX_SEGMENT'],
    ['.', 'EMPTY_PREFIX_SEGMENT'],
    ['88.118/8', 'INVALID_PREFIX_CHARACTER'],
    ['88 ', 'INVALID_PREFIX_CHARACTER'],
    ['88.1é', 'INVALID_PREFIX_CHARACTER'],
    ['88.1\u0007', 'CONTROL_CHARACTER'],
    ['88.1\u0085', 'CONTROL_CHARACTER'],
    ['88.\udc00', 'INVALID_UNICODE'],
    [`88.${'1'.repeat(62)}`, 'PREFIX_TOO_LONG'],
  ])('rejects %j with %s', (input, code) => {
    expect(codeOf(() => parsePrefix(input))).toBe(code);
  });
});

describe('prefix relations', () => {
  it('isDirectlyUnder compares the handle prefixKey exactly', () => {
    const parsed = parseHandle('88.118.8/x');
    expect(isDirectlyUnder('88.118.8', parsed)).toBe(true);
    expect(isDirectlyUnder('88.118', parsed)).toBe(false);
    expect(isDirectlyUnder('88.118.80', parsed)).toBe(false);
    expect(isDirectlyUnder('0.na', parseHandle('0.NA/88.118'))).toBe(true);
  });

  it('isDerivedPrefix requires a dot boundary', () => {
    expect(isDerivedPrefix('88.118', '88.118.8')).toBe(true);
    expect(isDerivedPrefix('88', '88.118.8')).toBe(true);
    expect(isDerivedPrefix('88.118', '88.1180')).toBe(false);
    expect(isDerivedPrefix('88.118', '88.118')).toBe(false);
    expect(isDerivedPrefix('88.118.8', '88.118')).toBe(false);
  });
});

describe('tryParseHandle', () => {
  it('returns the parsed handle on success', () => {
    expect(tryParseHandle('88.118.8/x')).toEqual({ ok: true, value: parseHandle('88.118.8/x') });
  });
});

describe('properties', () => {
  it('formatHandle(parseHandle(x)) === x for valid handles', () => {
    fc.assert(
      fc.property(validHandle(), (x) => {
        expect(formatHandle(parseHandle(x))).toBe(x);
      }),
    );
  });

  it('parseHandle(formatHandle(parts)) returns the parts', () => {
    fc.assert(
      fc.property(validHandleParts(), ({ prefix, suffix }) => {
        const parsed = parseHandle(formatHandle({ prefix, suffix }));
        expect(parsed.prefix).toBe(prefix);
        expect(parsed.suffix).toBe(suffix);
        expect(parsed.prefixKey).toBe(handleLookupKey(prefix));
        expect(parsePrefix(prefix).segments.join('.')).toBe(prefix);
      }),
    );
  });

  it('a suffix containing "/" still splits at the first "/"', () => {
    fc.assert(
      fc.property(validPrefix(), fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 2, maxLength: 5 }), (prefix, parts) => {
        const suffix = parts.join('/');
        const parsed = parseHandle(`${prefix}/${suffix}`);
        expect(parsed.prefix).toBe(prefix);
        expect(parsed.suffix).toBe(suffix);
      }),
    );
  });

  it('handleLookupKey is idempotent and ignores ASCII case', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), validHandle()), (x) => {
        const key = handleLookupKey(x);
        expect(handleLookupKey(key)).toBe(key);
        expect(handleLookupKey(upperAscii(x))).toBe(key);
        expect(key).not.toMatch(/[A-Z]/);
        expect(key.length).toBe(x.length);
      }),
    );
  });

  it('handleLookupKey leaves every non-ASCII character untouched', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (x) => {
        const key = handleLookupKey(x);
        for (let i = 0; i < x.length; i++) {
          if (x.charCodeAt(i) > 0x7f) expect(key.charCodeAt(i)).toBe(x.charCodeAt(i));
        }
      }),
    );
  });

  it('the parsed key equals the lookup key of the input', () => {
    fc.assert(
      fc.property(validHandle(), (x) => {
        const parsed = parseHandle(x);
        expect(parsed.key).toBe(handleLookupKey(x));
        expect(parseHandle(upperAscii(x)).key).toBe(parsed.key);
      }),
    );
  });

  it('inserting a control character anywhere is rejected', () => {
    const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(validHandle(), control, fc.nat(), (x, c, at) => {
        const chars = Array.from(x); // insert between code points, never inside a surrogate pair
        chars.splice(at % (chars.length + 1), 0, c);
        expect(codeOf(() => parseHandle(chars.join('')))).toBe('CONTROL_CHARACTER');
      }),
    );
  });

  it('never throws anything but IdentifierError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 300 }), (x) => {
        const result = tryParseHandle(x);
        if (result.ok) expect(formatHandle(result.value)).toBe(x);
        else expect(result.error).toBeInstanceOf(IdentifierError);
      }),
    );
  });
});

describe('parseHandle: the printable-ASCII fast path agrees with the careful parser', () => {
  const outcome = (fn: () => unknown) => {
    try {
      return { ok: fn() };
    } catch (error) {
      if (error instanceof IdentifierError) return { code: error.code, message: error.message };
      throw error;
    }
  };
  const near = fc.oneof(
    fc.string({ unit: fc.constantFrom('8', '1', '.', '/', 'A', 'b', '_', '-', ' ', '~', '%', '\u0000', '\u007f', '产', 'Z'), maxLength: 300 }),
    validHandle(),
    fc.tuple(validPrefix(), fc.string({ maxLength: 260 })).map(([p, s]) => `${p}/${s}`),
  );

  it('gives the same result or the same error for any input', () => {
    fc.assert(
      fc.property(near, (input) => {
        expect(outcome(() => parseHandle(input))).toEqual(outcome(() => parseHandleCarefully(input)));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the edges of the limits the same way', () => {
    for (const input of [`${'a'.repeat(64)}/x`, `${'a'.repeat(65)}/x`, `88/${'x'.repeat(252)}`, `88/${'x'.repeat(253)}`, '88/x', '88/', '/x', '88.118.8/ABC123', '88..8/x']) {
      expect(outcome(() => parseHandle(input))).toEqual(outcome(() => parseHandleCarefully(input)));
    }
  });
});
