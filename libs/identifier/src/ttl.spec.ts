import fc from 'fast-check';
import { DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, Ttl, effectiveTtlSeconds } from './index';

const NOW = 1_795_428_000; // 2026-11-23T10:00:00Z
const rel = (seconds: number): { ttl: Ttl } => ({ ttl: { type: 'relative', seconds } });
const abs = (expiresAt: number): { ttl: Ttl } => ({ ttl: { type: 'absolute', expiresAt } });

describe('effectiveTtlSeconds', () => {
  it('exports the Handle defaults', () => {
    expect(DEFAULT_TTL_SECONDS).toBe(86400);
    expect(MAX_TTL_SECONDS).toBe(172800);
  });

  it('is 86400 for an empty record', () => {
    expect(effectiveTtlSeconds([], NOW)).toBe(86400);
  });

  it('is the TTL of a single relative value', () => {
    expect(effectiveTtlSeconds([rel(3600)], NOW)).toBe(3600);
  });

  it('caps long TTLs at two days', () => {
    expect(effectiveTtlSeconds([rel(172801)], NOW)).toBe(172800);
    expect(effectiveTtlSeconds([rel(2147483647)], NOW)).toBe(172800);
    expect(effectiveTtlSeconds([abs(NOW + 10 * 86400)], NOW)).toBe(172800);
  });

  it('counts an absolute TTL down from now', () => {
    expect(effectiveTtlSeconds([abs(NOW + 600)], NOW)).toBe(600);
  });

  it('is 0 (do not cache) for an absolute TTL in the past or exactly now', () => {
    expect(effectiveTtlSeconds([abs(NOW - 1)], NOW)).toBe(0);
    expect(effectiveTtlSeconds([abs(0)], NOW)).toBe(0);
    expect(effectiveTtlSeconds([abs(NOW)], NOW)).toBe(0);
  });

  it('never extends caching past an absolute expiry with a fractional clock', () => {
    expect(effectiveTtlSeconds([abs(NOW + 1)], NOW + 0.5)).toBe(0);
  });

  it('takes the minimum over several values', () => {
    expect(effectiveTtlSeconds([rel(86400), rel(300), abs(NOW + 900)], NOW)).toBe(300);
    expect(effectiveTtlSeconds([rel(86400), abs(NOW + 120), rel(300)], NOW)).toBe(120);
  });

  it('is 0 when any value says do not cache', () => {
    expect(effectiveTtlSeconds([rel(86400), rel(0), rel(300)], NOW)).toBe(0);
    expect(effectiveTtlSeconds([rel(86400), abs(NOW - 5)], NOW)).toBe(0);
  });

  it('is always within 0..172800 and never above any single value (property)', () => {
    const ttl = fc.oneof(
      fc.integer({ min: 0, max: 2147483647 }).map(rel),
      fc.integer({ min: 0, max: 253402300799 }).map(abs),
    );
    fc.assert(
      fc.property(fc.array(ttl, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 4102444800 }), (values, now) => {
        const result = effectiveTtlSeconds(values, now);
        expect(result).toBeGreaterThanOrEqual(0);
        expect(result).toBeLessThanOrEqual(MAX_TTL_SECONDS);
        for (const { ttl: t } of values) {
          expect(result).toBeLessThanOrEqual(t.type === 'relative' ? t.seconds : Math.max(0, t.expiresAt - now));
        }
      }),
    );
  });
});
