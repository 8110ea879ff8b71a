import type { HandleJsonValue } from '@idis/identifier';
import type { ResolutionRow } from '../registry/identifier.repository';
import { buildFoundRecord, buildMissingRecord, decodeEntry, encodeEntry } from './record-builder';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function row(values: HandleJsonValue[], version = 1): ResolutionRow {
  return {
    handle: '88.118.8/ABC',
    prefixKey: '88.118.8',
    valuesJson: JSON.stringify(values),
    templateVersion: null,
    version,
    updatedAt: new Date(NOW - 1000).toISOString(),
  };
}

function value(index: number, extra: Partial<HandleJsonValue> = {}): HandleJsonValue {
  return { index, type: 'URL', data: { format: 'string', value: `v${index}` }, ttl: 86400, timestamp: '2026-01-01T00:00:00Z', ...extra };
}

describe('buildFoundRecord', () => {
  it('orders values by index and keeps only publicly readable ones in publicValuesJson', () => {
    const record = buildFoundRecord('88.118.8/abc', row([value(3, { permissions: '1100' }), value(1), value(2, { permissions: '0010' }), value(4, { permissions: '0001' })]), NOW);
    expect(record.values.map((v) => v.index)).toEqual([1, 2, 3, 4]);
    expect(JSON.parse(record.publicValuesJson)).toEqual([record.values[0], record.values[1]]);
    expect(record).toMatchObject({ kind: 'found', handle: '88.118.8/ABC', handleKey: '88.118.8/abc', updatedAt: new Date(NOW - 1000).toISOString(), loadedAt: NOW });
  });

  it('takes the shortest TTL, absolute ones counted from now, capped at two days, 0 for a past expiry', () => {
    expect(buildFoundRecord('k', row([value(1, { ttl: 600 }), value(2, { ttl: 60 })]), NOW).ttlSeconds).toBe(60);
    expect(buildFoundRecord('k', row([value(1, { ttl: '2026-06-01T00:05:00Z' })]), NOW).ttlSeconds).toBe(300);
    expect(buildFoundRecord('k', row([value(1, { ttl: 10_000_000 })]), NOW).ttlSeconds).toBe(172800);
    expect(buildFoundRecord('k', row([value(1, { ttl: '2026-05-31T00:00:00Z' })]), NOW).ttlSeconds).toBe(0);
    expect(buildFoundRecord('k', row([value(1, { ttl: undefined })]), NOW).ttlSeconds).toBe(86400);
  });

  it('gives a validator that changes with every write (version and update time) but not with the load time', () => {
    const base = buildFoundRecord('k', row([value(1)]), NOW);
    expect(base.etag).toMatch(/^[0-9-]+$/);
    expect(buildFoundRecord('k', row([value(1)]), NOW + 5000).etag).toBe(base.etag);
    expect(buildFoundRecord('k', row([value(1)], 2), NOW).etag).not.toBe(base.etag);
    // Deleted and registered again: version 1 again, but a later update time.
    expect(buildFoundRecord('k', { ...row([value(1)]), updatedAt: new Date(NOW + 1).toISOString() }, NOW).etag).not.toBe(base.etag);
  });
});

describe('stored key order', () => {
  it('puts values back in Handle.Net key order whatever order jsonb returned them in', () => {
    const jsonbOrdered = '[{"ttl": 86400, "data": {"value": "https://a.example.cn", "format": "string"}, "type": "URL", "index": 1, "timestamp": "2026-01-01T00:00:00Z", "permissions": "1110"}, {"ttl": 86400, "data": {"value": {"index": 200, "handle": "0.NA/88.118.8", "permissions": "011111111111"}, "format": "admin"}, "type": "HS_ADMIN", "index": 100, "timestamp": "2026-01-01T00:00:00Z"}]';
    const record = buildFoundRecord('k', { ...row([]), valuesJson: jsonbOrdered }, NOW);
    expect(record.valuesJson).toBe(
      '[{"index":1,"type":"URL","data":{"format":"string","value":"https://a.example.cn"},"ttl":86400,"timestamp":"2026-01-01T00:00:00Z","permissions":"1110"},' +
        '{"index":100,"type":"HS_ADMIN","data":{"format":"admin","value":{"handle":"0.NA/88.118.8","index":200,"permissions":"011111111111"}},"ttl":86400,"timestamp":"2026-01-01T00:00:00Z"}]',
    );
  });
});

describe('the L2 form', () => {
  it('round-trips a found record, parsing the full values only when asked', () => {
    const record = buildFoundRecord('88.118.8/abc', row([value(2, { permissions: '1100' }), value(1)]), NOW);
    const decoded = decodeEntry(encodeEntry(record));
    expect(decoded).toBeDefined();
    if (decoded?.kind !== 'found') throw new Error('expected a found record');
    expect(decoded.publicValuesJson).toBe(record.publicValuesJson);
    expect(decoded.valuesJson).toBe(record.valuesJson);
    expect(decoded.values).toEqual(record.values);
    expect({ ...decoded, values: decoded.values }).toMatchObject({ handle: record.handle, etag: record.etag, ttlSeconds: record.ttlSeconds, version: 1, loadedAt: NOW });
  });

  it('stores the values once when all are public, and still reads the older two-copy form', () => {
    const record = buildFoundRecord('88.118.8/pub', row([value(1), value(2)]), NOW);
    expect(record.valuesJson).toBe(record.publicValuesJson);
    const encoded = encodeEntry(record);
    expect(encoded.endsWith(`\n${record.publicValuesJson}\n`)).toBe(true);
    const decoded = decodeEntry(encoded);
    if (decoded?.kind !== 'found') throw new Error('expected a found record');
    expect(decoded.valuesJson).toBe(record.valuesJson);
    expect(decoded.values).toEqual(record.values);

    const older = `f1\n${encoded.slice(3, encoded.length - 1)}\n${record.valuesJson}`;
    const fromOlder = decodeEntry(older);
    if (fromOlder?.kind !== 'found') throw new Error('expected a found record from the f1 form');
    expect(fromOlder.valuesJson).toBe(record.valuesJson);
    expect(fromOlder.publicValuesJson).toBe(record.publicValuesJson);
  });

  it('round-trips a not-found', () => {
    const missing = buildMissingRecord('88.118.8/x', '88.118.8', NOW);
    expect(decodeEntry(encodeEntry(missing))).toEqual(missing);
  });

  it('refuses anything else', () => {
    for (const text of ['', '{"kind":"found"}', 'f1\n{not json', 'f1\n{"handleKey":"k"}\n[]\n[]', 'f1\n{"handleKey":"k","loadedAt":1,"etag":"e"}\n[]\n', 'f2\n{not json\n[]\n', 'm1\n{}', 'x1\n{}']) {
      expect(decodeEntry(text)).toBeUndefined();
    }
  });
});

describe('buildMissingRecord', () => {
  it('remembers the key, the prefix and when PostgreSQL said so', () => {
    expect(buildMissingRecord('88.118.8/x', '88.118.8', NOW)).toEqual({ kind: 'missing', handleKey: '88.118.8/x', prefixKey: '88.118.8', loadedAt: NOW });
  });
});
