import type { HandleJsonValue } from '@idis/identifier';
import type { IdentifierRecord } from '../registry/identifier.repository';
import { buildFoundRecord, buildMissingRecord } from './record-builder';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function row(values: HandleJsonValue[], version = 1): IdentifierRecord {
  return {
    handle: '88.118.8/ABC',
    prefixKey: '88.118.8',
    values,
    templateVersion: null,
    version,
    createdAt: new Date(NOW - 60_000),
    updatedAt: new Date(NOW - 1000),
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

  it('gives a strong etag that changes with the values and the version but not with the load time', () => {
    const base = buildFoundRecord('k', row([value(1)]), NOW);
    expect(buildFoundRecord('k', row([value(1)]), NOW + 5000).etag).toBe(base.etag);
    expect(buildFoundRecord('k', row([value(1)], 2), NOW).etag).not.toBe(base.etag);
    expect(buildFoundRecord('k', row([value(1, { data: { format: 'string', value: 'other' } })]), NOW).etag).not.toBe(base.etag);
    expect(buildFoundRecord('k2', row([value(1)]), NOW).etag).not.toBe(base.etag);
  });
});

describe('buildMissingRecord', () => {
  it('remembers the key, the prefix and when PostgreSQL said so', () => {
    expect(buildMissingRecord('88.118.8/x', '88.118.8', NOW)).toEqual({ kind: 'missing', handleKey: '88.118.8/x', prefixKey: '88.118.8', loadedAt: NOW });
  });
});
