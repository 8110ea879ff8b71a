import { L1Cache } from './l1-cache';
import { l1EntryWeight } from './l1-weight';
import { buildFoundRecord, buildMissingRecord } from './record-builder';
import type { ResolutionConfig } from './resolution.config';

function config(overrides: Partial<ResolutionConfig> = {}): ResolutionConfig {
  return { l1Enabled: true, l1MaxEntries: 1000, l1MaxBytes: 10 * 1024 * 1024, l1DetachedTtlSeconds: 5, ...overrides } as ResolutionConfig;
}

function record(i: number, name = `Impact wrench JXDY-${i}`) {
  const values = [
    { index: 1, type: 'URL', data: { format: 'string', value: `https://tools.example.cn/p/${i}` }, ttl: 86400, timestamp: '2026-12-06T02:00:00Z' },
    { index: 2000, type: 'name', data: { format: 'string', value: name }, ttl: 86400, timestamp: '2026-12-06T02:00:00Z' },
  ];
  const handle = `88.118.8/L1-${i}`;
  return buildFoundRecord(handle.toLowerCase(), { handle, prefixKey: '88.118.8', valuesJson: JSON.stringify(values), templateVersion: null, version: 1, updatedAt: '2026-12-06T02:00:00.000Z' }, Date.now());
}

describe('L1Cache', () => {
  it('answers a stored record as an l1 hit, the same object every time (no allocation per hit)', () => {
    const l1 = new L1Cache(config());
    const entry = record(1);
    expect(l1.get(entry.handleKey)).toBeUndefined();
    l1.set(entry, 60_000);
    const first = l1.get(entry.handleKey);
    expect(first).toEqual({ entry, tier: 'l1' });
    expect(l1.get(entry.handleKey)).toBe(first);
    expect(l1.size).toBe(1);
    expect(l1.bytes).toBe(l1EntryWeight(entry));
  });

  it('weighs a record by its heap footprint: two-byte text and the parsed values count', () => {
    const latin = record(2, 'ABCDEFGHIJ');
    const chinese = record(2, '锂电冲击扳手冲击扳手');
    expect(latin.valuesJson.length).toBe(chinese.valuesJson.length);
    // Every character of the value JSON costs one more byte in a two-byte string.
    expect(l1EntryWeight(chinese) - l1EntryWeight(latin)).toBeGreaterThanOrEqual(chinese.valuesJson.length - 8);
    expect(l1EntryWeight(latin)).toBeGreaterThan(3 * latin.valuesJson.length);
    expect(l1EntryWeight(buildMissingRecord('88.118.8/x', '88.118.8', Date.now()))).toBeLessThan(l1EntryWeight(latin));
  });

  it('holds the byte bound: entries beyond it are evicted, and bytes never exceed it', () => {
    const weight = l1EntryWeight(record(100));
    const l1 = new L1Cache(config({ l1MaxBytes: weight * 50 }));
    for (let i = 100; i < 400; i += 1) {
      l1.set(record(i), 60_000);
      expect(l1.bytes).toBeLessThanOrEqual(weight * 50);
    }
    expect(l1.size).toBeGreaterThanOrEqual(45);
    expect(l1.size).toBeLessThanOrEqual(50);
  });

  it('does not store for a TTL of 0 or less, and deletes and clears', () => {
    const l1 = new L1Cache(config());
    l1.set(record(3), 0);
    expect(l1.size).toBe(0);
    l1.set(record(3), 60_000);
    l1.set(record(4), 60_000);
    l1.delete(record(3).handleKey);
    expect(l1.get(record(3).handleKey)).toBeUndefined();
    expect(l1.size).toBe(1);
    l1.clear();
    expect(l1.size).toBe(0);
    expect(l1.bytes).toBe(0);
  });

  it('limitAge: entries stored longer ago than the limit are not served, fresh ones are', async () => {
    const l1 = new L1Cache(config());
    const old = record(5);
    l1.set(old, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    l1.limitAge(20);
    expect(l1.get(old.handleKey)).toBeUndefined();
    const fresh = record(6);
    l1.set(fresh, 60_000);
    expect(l1.get(fresh.handleKey)?.entry).toBe(fresh);
    l1.limitAge(0);
    expect(l1.get(fresh.handleKey)).toBeUndefined();
    l1.limitAge(undefined);
    l1.set(fresh, 60_000);
    expect(l1.get(fresh.handleKey)?.entry).toBe(fresh);
  });

  it('disabled: stores nothing', () => {
    const l1 = new L1Cache(config({ l1Enabled: false }));
    l1.set(record(7), 60_000);
    expect(l1.get(record(7).handleKey)).toBeUndefined();
    expect(l1.size).toBe(0);
    expect(l1.bytes).toBe(0);
  });
});
