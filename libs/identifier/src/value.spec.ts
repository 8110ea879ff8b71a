import fc from 'fast-check';
import {
  DEFAULT_VALUE_LIMITS,
  HandleValue,
  ValueError,
  filterValues,
  isPublicReadable,
  permissionsFromString,
  permissionsToString,
  publicValues,
  valueFromJson,
  valueToJson,
  valuesFromJson,
} from './index';
import { handleValue } from './testing/arbitraries';

const NOW = new Date('2026-11-23T10:00:00.987Z');

function valueErrorOf(fn: () => unknown): ValueError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValueError) return error;
    throw error;
  }
  throw new Error('expected a ValueError');
}

const minimal = (extra: Record<string, unknown> = {}) => ({ index: 1, type: 'URL', data: 'https://example.com/', ...extra });

describe('valueFromJson: accepted input', () => {
  it('reads the Handle.Net REST example value', () => {
    const v = valueFromJson({
      index: 100,
      type: 'HS_ADMIN',
      data: { format: 'admin', value: { handle: '0.NA/4263537', index: 200, permissions: '011111111111' } },
      ttl: 86400,
      timestamp: '2000-04-10T22:41:46Z',
    });
    expect(v).toStrictEqual<HandleValue>({
      index: 100,
      type: 'HS_ADMIN',
      data: { format: 'admin', value: { handle: '0.NA/4263537', index: 200, permissions: '011111111111' } },
      ttl: { type: 'relative', seconds: 86400 },
      timestamp: '2000-04-10T22:41:46Z',
      permissions: { adminRead: true, adminWrite: true, publicRead: true, publicWrite: false },
      references: [],
    });
  });

  it('applies defaults: bare string data, TTL 86400, permissions 1110, no references, timestamp = now to the second', () => {
    const v = valueFromJson(minimal(), { now: NOW });
    expect(v).toStrictEqual<HandleValue>({
      index: 1,
      type: 'URL',
      data: { format: 'string', value: 'https://example.com/' },
      ttl: { type: 'relative', seconds: 86400 },
      timestamp: '2026-11-23T10:00:00Z',
      permissions: { adminRead: true, adminWrite: true, publicRead: true, publicWrite: false },
      references: [],
    });
  });

  it('defaults the timestamp to the current time when no clock is given', () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const stamp = Date.parse(valueFromJson(minimal()).timestamp);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });

  it('normalises timestamps to UTC with second precision', () => {
    expect(valueFromJson(minimal({ timestamp: '2026-11-23T18:00:00+08:00' })).timestamp).toBe('2026-11-23T10:00:00Z');
    expect(valueFromJson(minimal({ timestamp: '2026-11-23T10:00:00.999Z' })).timestamp).toBe('2026-11-23T10:00:00Z');
    expect(valueFromJson(minimal({ timestamp: '2026-11-23t10:00:00z' })).timestamp).toBe('2026-11-23T10:00:00Z');
    expect(valueFromJson(minimal({ timestamp: '2024-02-29T00:00:00-00:30' })).timestamp).toBe('2024-02-29T00:30:00Z');
  });

  it('reads a string TTL as absolute expiry in epoch seconds', () => {
    expect(valueFromJson(minimal({ ttl: '2026-11-24T10:00:00Z' })).ttl).toEqual({ type: 'absolute', expiresAt: 1795514400 });
    expect(valueFromJson(minimal({ ttl: '1970-01-01T08:00:00+08:00' })).ttl).toEqual({ type: 'absolute', expiresAt: 0 });
  });

  it('accepts relative TTL bounds 0 and 2^31-1 and stores -0 as 0', () => {
    expect(valueFromJson(minimal({ ttl: 0 })).ttl).toEqual({ type: 'relative', seconds: 0 });
    expect(valueFromJson(minimal({ ttl: 2147483647 })).ttl).toEqual({ type: 'relative', seconds: 2147483647 });
    const seconds = (valueFromJson(JSON.parse('{"index":1,"type":"URL","data":"x","ttl":-0}')).ttl as { seconds: number }).seconds;
    expect(Object.is(seconds, 0)).toBe(true);
  });

  it('accepts index bounds 1 and 4294967295', () => {
    expect(valueFromJson(minimal({ index: 1 })).index).toBe(1);
    expect(valueFromJson(minimal({ index: 4294967295 })).index).toBe(4294967295);
  });

  it('reads every data format', () => {
    expect(valueFromJson(minimal({ data: { format: 'string', value: '' } })).data).toEqual({ format: 'string', value: '' });
    expect(valueFromJson(minimal({ data: { format: 'base64', value: 'aGVsbG8=' } })).data).toEqual({ format: 'base64', value: 'aGVsbG8=' });
    expect(valueFromJson(minimal({ data: { format: 'base64', value: '' } })).data).toEqual({ format: 'base64', value: '' });
    expect(valueFromJson(minimal({ data: { format: 'hex', value: '0aFF' } })).data).toEqual({ format: 'hex', value: '0aff' });
    expect(
      valueFromJson(minimal({ data: { format: 'vlist', value: [{ handle: '88.118.8/admins', index: 300 }, { handle: '88.111.1/admin', index: 0 }] } })).data,
    ).toEqual({ format: 'vlist', value: [{ handle: '88.118.8/admins', index: 300 }, { handle: '88.111.1/admin', index: 0 }] });
  });

  it('keeps string data verbatim, control characters included', () => {
    const text = 'line 1\nline 2\t\u0000 产品 🔧';
    expect(valueFromJson(minimal({ data: text })).data).toEqual({ format: 'string', value: text });
  });

  it('reads permissions and references', () => {
    const v = valueFromJson(minimal({ permissions: '1100', references: [{ handle: '88.118.8/other', index: 2 }] }));
    expect(v.permissions).toEqual({ adminRead: true, adminWrite: true, publicRead: false, publicWrite: false });
    expect(v.references).toEqual([{ handle: '88.118.8/other', index: 2 }]);
  });

  it('accepts data and type at exactly the limits', () => {
    expect(valueFromJson(minimal({ type: 'T'.repeat(128) })).type).toHaveLength(128);
    expect(valueFromJson(minimal({ data: '产'.repeat(10), type: 'x' }), { limits: { maxDataBytes: 30 } }).data.value).toBe('产'.repeat(10));
    const b64 = Buffer.alloc(30).toString('base64');
    expect(valueFromJson(minimal({ data: { format: 'base64', value: b64 } }), { limits: { maxDataBytes: 30 } }).data.value).toBe(b64);
    expect(valueFromJson(minimal({ data: { format: 'hex', value: '00'.repeat(30) } }), { limits: { maxDataBytes: 30 } }).data.value).toHaveLength(60);
  });

  it('reads an HS_ADMIN index written as a decimal string (pyhandle sends "200") as the number', () => {
    const v = valueFromJson(minimal({ type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: '200', permissions: '011111110011' } } }));
    expect(v.data).toEqual({ format: 'admin', value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111110011' } });
    expect(valueToJson(v).data.value).toEqual({ handle: '0.NA/88.118.8', index: 200, permissions: '011111110011' });
  });

  it('does not share objects with the input', () => {
    const input = {
      index: 1,
      type: 'HS_ADMIN',
      data: { format: 'admin', value: { handle: '0.NA/88.1', index: 300, permissions: '111111111111' } },
      references: [{ handle: '88.1/x', index: 1 }],
    };
    const v = valueFromJson(input);
    expect(v.references[0]).not.toBe(input.references[0]);
    expect(v.data.value).not.toBe(input.data.value);
  });
});

describe('valueFromJson: rejected input', () => {
  const big = 'x'.repeat(DEFAULT_VALUE_LIMITS.maxDataBytes + 1);
  const cases: Array<[string, unknown, string, string?]> = [
    ['null', null, '', 'must be a handle value object'],
    ['an array', [minimal()], ''],
    ['a string', 'URL', ''],
    ['unknown top-level key', minimal({ handle: '88.1/x' }), 'handle', 'not an allowed property'],
    ['missing index', { type: 'URL', data: 'x' }, 'index', 'is required'],
    ['index 0', minimal({ index: 0 }), 'index', '0 is reserved'],
    ['negative index', minimal({ index: -1 }), 'index'],
    ['index above uint32', minimal({ index: 4294967296 }), 'index'],
    ['fractional index', minimal({ index: 1.5 }), 'index'],
    ['string index', minimal({ index: '1' }), 'index'],
    ['missing type', { index: 1, data: 'x' }, 'type', 'is required'],
    ['empty type', minimal({ type: '' }), 'type', 'must not be empty'],
    ['non-string type', minimal({ type: 5 }), 'type'],
    ['type too long', minimal({ type: 'T'.repeat(129) }), 'type', '129 bytes'],
    ['type too long in bytes', minimal({ type: '产'.repeat(43) }), 'type', '129 bytes'],
    ['type with control character', minimal({ type: 'URL\n' }), 'type', 'U+000A'],
    ['type with C1 control', minimal({ type: 'U\u0085RL' }), 'type', 'U+0085'],
    ['type ending in a dot', minimal({ type: 'HS_SITE.' }), 'type', 'must not end with "."'],
    ['type with lone surrogate', minimal({ type: 'a\ud800' }), 'type', 'surrogate'],
    ['missing data', { index: 1, type: 'URL' }, 'data', 'is required'],
    ['data null', minimal({ data: null }), 'data'],
    ['data number', minimal({ data: 5 }), 'data'],
    ['unknown data key', minimal({ data: { format: 'string', value: 'x', encoding: 'utf8' } }), 'data.encoding'],
    ['missing format', minimal({ data: { value: 'x' } }), 'data.format', 'is required'],
    ['unknown format', minimal({ data: { format: 'site', value: {} } }), 'data.format', '"string", "base64"'],
    ['missing data value', minimal({ data: { format: 'string' } }), 'data.value', 'is required'],
    ['string data not a string', minimal({ data: { format: 'string', value: 1 } }), 'data.value'],
    ['string data too long', minimal({ data: big }), 'data', '65537 bytes'],
    ['string data too long in bytes', minimal({ data: '产'.repeat(21846) }), 'data', '65538 bytes'],
    ['string data with lone surrogate', minimal({ data: { format: 'string', value: '\udfff' } }), 'data.value', 'surrogate'],
    ['base64 with bad character', minimal({ data: { format: 'base64', value: 'aGVs*G8=' } }), 'data.value', 'not valid base64'],
    ['base64 url alphabet', minimal({ data: { format: 'base64', value: 'ab-_' } }), 'data.value', 'not valid base64'],
    ['base64 without padding', minimal({ data: { format: 'base64', value: 'aGVsbG8' } }), 'data.value', 'not valid base64'],
    ['base64 with whitespace', minimal({ data: { format: 'base64', value: 'aGVs bG8=' } }), 'data.value'],
    ['base64 non-canonical trailing bits', minimal({ data: { format: 'base64', value: 'aGVsbG9=' } }), 'data.value', 'not canonical'],
    ['base64 too large', minimal({ data: { format: 'base64', value: Buffer.alloc(65537).toString('base64') } }), 'data.value', 'decodes to 65537 bytes'],
    ['hex too large', minimal({ data: { format: 'hex', value: '00'.repeat(65537) } }), 'data.value', 'decodes to 65537 bytes'],
    ['hex odd length', minimal({ data: { format: 'hex', value: 'abc' } }), 'data.value', 'even number'],
    ['hex with non-hex digit', minimal({ data: { format: 'hex', value: 'zz' } }), 'data.value', 'hex digits'],
    ['hex with 0x prefix', minimal({ data: { format: 'hex', value: '0x00' } }), 'data.value'],
    ['hex not a string', minimal({ data: { format: 'hex', value: 255 } }), 'data.value'],
    ['admin not an object', minimal({ data: { format: 'admin', value: '0.NA/88.1:300' } }), 'data.value'],
    ['admin with invalid handle', minimal({ data: { format: 'admin', value: { handle: '88..1/x', index: 300, permissions: '011111111111' } } }), 'data.value.handle', 'prefix segment 2'],
    ['admin handle without slash', minimal({ data: { format: 'admin', value: { handle: '0.NA', index: 300, permissions: '011111111111' } } }), 'data.value.handle'],
    ['admin index 0', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: 0, permissions: '011111111111' } } }), 'data.value.index'],
    ['admin index "0"', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: '0', permissions: '011111111111' } } }), 'data.value.index'],
    ['admin index with a leading zero', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: '0200', permissions: '011111111111' } } }), 'data.value.index'],
    ['admin index not decimal', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: '2e2', permissions: '011111111111' } } }), 'data.value.index'],
    ['admin index above 2^32-1 as a string', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: '4294967296', permissions: '011111111111' } } }), 'data.value.index'],
    ['admin permissions too short', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: 300, permissions: '0111' } } }), 'data.value.permissions', '12 characters'],
    ['admin permissions not binary', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: 300, permissions: '01111111111x' } } }), 'data.value.permissions'],
    ['admin missing permissions', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: 300 } } }), 'data.value.permissions', 'is required'],
    ['admin unknown key', minimal({ data: { format: 'admin', value: { handle: '0.NA/88.1', index: 300, permissions: '011111111111', x: 1 } } }), 'data.value.x'],
    ['vlist not an array', minimal({ data: { format: 'vlist', value: { handle: '88.1/x', index: 1 } } }), 'data.value'],
    ['vlist with bad entry', minimal({ data: { format: 'vlist', value: [{ handle: '88.1/x', index: 1 }, { handle: 'x', index: 1 }] } }), 'data.value[1].handle'],
    ['vlist entry with negative index', minimal({ data: { format: 'vlist', value: [{ handle: '88.1/x', index: -1 }] } }), 'data.value[0].index'],
    ['vlist too long', minimal({ data: { format: 'vlist', value: Array.from({ length: 1001 }, () => ({ handle: '88.1/x', index: 1 })) } }), 'data.value', 'limit is 1000'],
    ['ttl negative', minimal({ ttl: -1 }), 'ttl'],
    ['ttl above int32', minimal({ ttl: 2147483648 }), 'ttl'],
    ['ttl fractional', minimal({ ttl: 1.5 }), 'ttl'],
    ['ttl null', minimal({ ttl: null }), 'ttl'],
    ['ttl numeric string', minimal({ ttl: '86400' }), 'ttl', 'ISO 8601'],
    ['ttl date without zone', minimal({ ttl: '2026-11-24T10:00:00' }), 'ttl', 'with a zone'],
    ['ttl date only', minimal({ ttl: '2026-11-24' }), 'ttl'],
    ['ttl before 1970', minimal({ ttl: '1969-12-31T23:59:59Z' }), 'ttl', '1970-01-01'],
    ['ttl two-digit-looking year', minimal({ ttl: '0080-01-01T00:00:00Z' }), 'ttl', '1970-01-01'],
    ['timestamp not a string', minimal({ timestamp: 1700000000 }), 'timestamp'],
    ['timestamp February 30', minimal({ timestamp: '2026-02-30T00:00:00Z' }), 'timestamp', 'not a real date-time'],
    ['timestamp February 29 in a common year', minimal({ timestamp: '2026-02-29T00:00:00Z' }), 'timestamp'],
    ['timestamp hour 24', minimal({ timestamp: '2026-01-01T24:00:00Z' }), 'timestamp'],
    ['timestamp leap second', minimal({ timestamp: '2016-12-31T23:59:60Z' }), 'timestamp'],
    ['timestamp month 13', minimal({ timestamp: '2026-13-01T00:00:00Z' }), 'timestamp'],
    ['timestamp bad offset', minimal({ timestamp: '2026-01-01T00:00:00+24:00' }), 'timestamp', 'zone offset'],
    ['timestamp free text', minimal({ timestamp: 'yesterday' }), 'timestamp'],
    ['permissions too long', minimal({ permissions: '11100' }), 'permissions', '4 characters'],
    ['permissions as number', minimal({ permissions: 1110 }), 'permissions'],
    ['references not an array', minimal({ references: { handle: '88.1/x', index: 1 } }), 'references'],
    ['reference missing index', minimal({ references: [{ handle: '88.1/x' }] }), 'references[0].index', 'is required'],
    ['reference with invalid handle', minimal({ references: [{ handle: '88.1/', index: 1 }] }), 'references[0].handle', 'suffix'],
    ['reference unknown key', minimal({ references: [{ handle: '88.1/x', index: 1, type: 'URL' }] }), 'references[0].type'],
  ];

  // Objects rather than tuples: jest passes `done` to a test whose arity exceeds the row length.
  it.each(cases.map(([name, input, path, fragment]) => ({ name, input, path, fragment })))('rejects $name', ({ input, path, fragment }) => {
    const error = valueErrorOf(() => valueFromJson(input));
    expect(error.code).toBe('INVALID_VALUE');
    expect(error.path).toBe(path);
    expect(error.message.startsWith(path || 'value')).toBe(true);
    if (fragment) expect(error.message).toContain(fragment);
  });

  it('prefixes paths with opts.path', () => {
    const error = valueErrorOf(() => valueFromJson(minimal({ data: { format: 'hex', value: 'x' } }), { path: 'values[3]' }));
    expect(error.path).toBe('values[3].data.value');
    expect(error.message).toMatch(/^values\[3\]\.data\.value /);
  });

  it('honours custom limits', () => {
    expect(valueErrorOf(() => valueFromJson(minimal({ type: 'ABCDE' }), { limits: { maxTypeBytes: 4 } })).path).toBe('type');
    expect(valueErrorOf(() => valueFromJson(minimal({ data: 'abcde' }), { limits: { maxDataBytes: 4 } })).path).toBe('data');
    expect(
      valueErrorOf(() => valueFromJson(minimal({ references: [{ handle: '88.1/a', index: 1 }, { handle: '88.1/b', index: 1 }] }), { limits: { maxReferences: 1 } })).path,
    ).toBe('references');
  });

  it('ValueError is an Error with a name', () => {
    const error = valueErrorOf(() => valueFromJson(null));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ValueError');
  });
});

describe('valueToJson', () => {
  const base = valueFromJson(minimal(), { now: NOW });

  it('omits default permissions and empty references', () => {
    expect(valueToJson(base)).toStrictEqual({
      index: 1,
      type: 'URL',
      data: { format: 'string', value: 'https://example.com/' },
      ttl: 86400,
      timestamp: '2026-11-23T10:00:00Z',
    });
  });

  it('writes non-default permissions, references and absolute TTL', () => {
    const v: HandleValue = {
      ...base,
      ttl: { type: 'absolute', expiresAt: 1795514400 },
      permissions: { adminRead: true, adminWrite: true, publicRead: false, publicWrite: false },
      references: [{ handle: '88.118.8/x', index: 7 }],
    };
    expect(valueToJson(v)).toStrictEqual({
      index: 1,
      type: 'URL',
      data: { format: 'string', value: 'https://example.com/' },
      ttl: '2026-11-24T10:00:00Z',
      timestamp: '2026-11-23T10:00:00Z',
      permissions: '1100',
      references: [{ handle: '88.118.8/x', index: 7 }],
    });
  });

  it('does not share objects with the value', () => {
    const v: HandleValue = { ...base, data: { format: 'vlist', value: [{ handle: '88.1/x', index: 1 }] }, references: [{ handle: '88.1/y', index: 2 }] };
    const json = valueToJson(v);
    expect(json.data.value).not.toBe(v.data.value);
    expect(json.references![0]).not.toBe(v.references[0]);
  });
});

describe('round trips (property-based)', () => {
  it('valueFromJson(valueToJson(v)) deep-equals v', () => {
    fc.assert(
      fc.property(handleValue(), (v) => {
        expect(valueFromJson(valueToJson(v))).toStrictEqual(v);
      }),
    );
  });

  it('survives JSON text: valueFromJson(JSON.parse(JSON.stringify(valueToJson(v)))) deep-equals v', () => {
    fc.assert(
      fc.property(handleValue(), (v) => {
        expect(valueFromJson(JSON.parse(JSON.stringify(valueToJson(v))))).toStrictEqual(v);
      }),
    );
  });

  it('valuesFromJson round-trips a record with unique indexes in all three body shapes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(handleValue(), { selector: (v) => v.index, minLength: 1, maxLength: 5 }), (values) => {
        const json = values.map(valueToJson);
        expect(valuesFromJson(json).values).toStrictEqual(values);
        expect(valuesFromJson({ values: json, handle: '88.1/x' })).toStrictEqual({ values, handle: '88.1/x' });
        expect(valuesFromJson(json[0]).values).toStrictEqual([values[0]]);
      }),
      { numRuns: 50 },
    );
  });
});

describe('valuesFromJson', () => {
  const v1 = minimal();
  const v2 = { index: 2, type: 'EMAIL', data: 'ops@example.com' };

  it('accepts an array', () => {
    const result = valuesFromJson([v1, v2], { now: NOW });
    expect(result.values.map((v) => v.index)).toEqual([1, 2]);
    expect(result).not.toHaveProperty('handle');
  });

  it('accepts {values} and returns the handle property', () => {
    expect(valuesFromJson({ values: [v1] }, { now: NOW })).toStrictEqual({ values: [valueFromJson(v1, { now: NOW })] });
    expect(valuesFromJson({ handle: '88.118.8/ABC', values: [v1, v2] }).handle).toBe('88.118.8/ABC');
  });

  it('accepts a single value object', () => {
    expect(valuesFromJson(v2, { now: NOW }).values).toStrictEqual([valueFromJson(v2, { now: NOW })]);
  });

  it('accepts an empty list (the caller decides whether an empty record is allowed)', () => {
    expect(valuesFromJson([]).values).toEqual([]);
  });

  it('stamps every defaulted timestamp with the same now', () => {
    const { values } = valuesFromJson([v1, v2]);
    expect(values[0].timestamp).toBe(values[1].timestamp);
  });

  it('rejects duplicate indexes, naming both positions', () => {
    const error = valueErrorOf(() => valuesFromJson([v1, v2, { ...v2, type: 'URL' }]));
    expect(error.path).toBe('values[2].index');
    expect(error.message).toContain('values[1].index');
    expect(error.message).toContain('2 duplicates');
  });

  it('reports the position of an invalid value', () => {
    const error = valueErrorOf(() => valuesFromJson({ values: [v1, { ...v2, data: { format: 'hex', value: 'z' } }] }));
    expect(error.path).toBe('values[1].data.value');
  });

  it('uses bare paths for a single value object', () => {
    expect(valueErrorOf(() => valuesFromJson({ ...v1, index: 0 })).path).toBe('index');
  });

  it('rejects more than maxValues values', () => {
    const values = Array.from({ length: 257 }, (_, i) => ({ index: i + 1, type: 'URL', data: 'x' }));
    expect(valuesFromJson(values.slice(0, 256)).values).toHaveLength(256);
    const error = valueErrorOf(() => valuesFromJson(values));
    expect(error.path).toBe('values');
    expect(error.message).toContain('257 values; the limit is 256');
    expect(valueErrorOf(() => valuesFromJson([v1, v2], { limits: { maxValues: 1 } })).path).toBe('values');
  });

  it('rejects a record above maxRecordBytes', () => {
    const values = Array.from({ length: 20 }, (_, i) => ({ index: i + 1, type: 'URL', data: 'x'.repeat(60000) }));
    const error = valueErrorOf(() => valuesFromJson(values));
    expect(error.path).toBe('');
    expect(error.message).toMatch(/^record is \d+ bytes as JSON; the limit is 1048576$/);
    expect(valueErrorOf(() => valuesFromJson([v1], { limits: { maxRecordBytes: 10 } })).message).toContain('limit is 10');
  });

  it.each<[string, unknown, string]>([
    ['null', null, ''],
    ['a string', 'x', ''],
    ['a number', 1, ''],
    ['values not an array', { values: v1 }, 'values'],
    ['handle not a string', { handle: 1, values: [v1] }, 'handle'],
    ['unknown record key', { responseCode: 1, values: [v1] }, 'responseCode'],
    ['an array with a non-object', [v1, 'x'], 'values[1]'],
  ])('rejects %s', (_name, input, path) => {
    const error = valueErrorOf(() => valuesFromJson(input));
    expect(error.code).toBe('INVALID_VALUE');
    expect(error.path).toBe(path);
  });

  it('rejects input that cannot be JSON', () => {
    expect(valueErrorOf(() => valuesFromJson([{ ...v1, data: 10n }])).message).toContain('not representable as JSON');
  });
});

describe('filterValues', () => {
  const record = valuesFromJson(
    [
      { index: 1, type: 'URL', data: 'u' },
      { index: 2, type: 'EMAIL', data: 'e' },
      { index: 100, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.1', index: 300, permissions: '011111111111' } } },
      { index: 101, type: 'HS_SITE', data: 's' },
      { index: 102, type: 'HS_SITE.PREFIX', data: 'p' },
      { index: 103, type: 'hs_site.prefix.extra', data: 'q' },
      { index: 104, type: 'HS_SITEX', data: 'r' },
    ],
    { now: NOW },
  ).values;
  const indexes = (vs: HandleValue[]) => vs.map((v) => v.index);

  it('returns everything without criteria', () => {
    expect(indexes(filterValues(record, {}))).toEqual([1, 2, 100, 101, 102, 103, 104]);
    expect(indexes(filterValues(record, { indexes: [], types: [] }))).toEqual([1, 2, 100, 101, 102, 103, 104]);
  });

  it('selects by index and by type', () => {
    expect(indexes(filterValues(record, { indexes: [2, 100, 999] }))).toEqual([2, 100]);
    expect(indexes(filterValues(record, { types: ['URL'] }))).toEqual([1]);
  });

  it('unions index and type criteria', () => {
    expect(indexes(filterValues(record, { indexes: [2], types: ['URL'] }))).toEqual([1, 2]);
    expect(indexes(filterValues(record, { indexes: [1], types: ['URL'] }))).toEqual([1]);
  });

  it('matches types ASCII case-insensitively', () => {
    expect(indexes(filterValues(record, { types: ['url', 'Hs_Admin'] }))).toEqual([1, 100]);
    expect(indexes(filterValues(record, { types: ['HS_SITE.PREFIX.EXTRA'] }))).toEqual([103]);
  });

  it('matches a whole sub-hierarchy with a trailing dot, including the parent type', () => {
    expect(indexes(filterValues(record, { types: ['HS_SITE.'] }))).toEqual([101, 102, 103]);
    expect(indexes(filterValues(record, { types: ['hs_site.prefix.'] }))).toEqual([102, 103]);
    expect(indexes(filterValues(record, { types: ['HS_SITE'] }))).toEqual([101]);
  });

  it('returns nothing when no criterion matches', () => {
    expect(filterValues(record, { indexes: [5], types: ['NOPE', 'NOPE.'] })).toEqual([]);
  });

  it('returns a new array', () => {
    expect(filterValues(record, {})).not.toBe(record);
  });
});

describe('permissions', () => {
  it('converts the 4-character form both ways', () => {
    expect(permissionsFromString('1110')).toEqual({ adminRead: true, adminWrite: true, publicRead: true, publicWrite: false });
    expect(permissionsFromString('0001')).toEqual({ adminRead: false, adminWrite: false, publicRead: false, publicWrite: true });
    for (let n = 0; n < 16; n++) {
      const s = n.toString(2).padStart(4, '0');
      expect(permissionsToString(permissionsFromString(s))).toBe(s);
    }
  });

  it.each(['', '111', '11100', '2110', 'rwr-'])('rejects %j', (s) => {
    const error = valueErrorOf(() => permissionsFromString(s));
    expect(error.path).toBe('permissions');
    expect(error.message).toContain('4 characters of 0/1');
  });

  it('selects publicly readable values', () => {
    const values = valuesFromJson([minimal({ permissions: '1100' }), { ...minimal({ index: 2 }), permissions: '0010' }, minimal({ index: 3 })], { now: NOW }).values;
    expect(values.map(isPublicReadable)).toEqual([false, true, true]);
    expect(publicValues(values).map((v) => v.index)).toEqual([2, 3]);
  });
});
