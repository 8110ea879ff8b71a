import { visibleValues } from '@idis/identifier';
import { cacheControlFor, etagMatches, renderHandleReply, renderPlainReply } from './reply-builder';
import type { FoundRecord, MissingRecord } from './resolution.types';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function record(overrides: Partial<FoundRecord> = {}): FoundRecord {
  const values = [
    { index: 1, type: 'URL', data: { format: 'string', value: 'https://a.example.cn' }, ttl: 86400, timestamp: '2026-11-23T00:00:00Z' },
    { index: 2, type: 'SECRET', data: { format: 'string', value: 'owner only' }, ttl: 86400, timestamp: '2026-11-23T00:00:00Z', permissions: '1100' },
    { index: 3, type: 'HIDDEN', data: { format: 'string', value: 'never' }, ttl: 86400, timestamp: '2026-11-23T00:00:00Z', permissions: '0000' },
    { index: 4, type: 'URL.mirror', data: { format: 'string', value: 'https://b.example.cn' }, ttl: 86400, timestamp: '2026-11-23T00:00:00Z' },
  ];
  return {
    kind: 'found',
    handle: '88.118.8/Item',
    handleKey: '88.118.8/item',
    prefixKey: '88.118.8',
    values,
    templateVersion: null,
    version: 3,
    updatedAt: '2026-11-23T00:00:00Z',
    ttlSeconds: 3600,
    etag: 'abc',
    valuesJson: JSON.stringify(values),
    publicValuesJson: JSON.stringify([values[0], values[3]]),
    loadedAt: Date.now(),
    ...overrides,
  };
}

const plain = { indexes: [], types: [], privateAllowed: false };

describe('renderHandleReply', () => {
  it('answers an anonymous unfiltered request with the precomputed public values and the spelling of the request', () => {
    const reply = renderHandleReply(record(), '88.118.8/ITEM', plain, 30);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ responseCode: 1, handle: '88.118.8/ITEM', values: JSON.parse(record().publicValuesJson) });
    expect(reply.etag).toBe('"abc.p"');
    expect(reply.cacheControl).toMatch(/^public, max-age=\d+$/);
  });

  it('shows admin-readable values only to a private view, never a value without any read bit', () => {
    const reply = JSON.parse(renderHandleReply(record(), '88.118.8/item', { ...plain, privateAllowed: true }, 30).body);
    expect(reply.values.map((v: { index: number }) => v.index)).toEqual([1, 2, 4]);
    expect(renderHandleReply(record(), '88.118.8/item', { ...plain, privateAllowed: true }, 30).cacheControl).toMatch(/^private/);
  });

  it('applies index and type filters as a union, with trailing-dot sub-types, and says 200 when nothing matches', () => {
    const union = JSON.parse(renderHandleReply(record(), 'h/x', { indexes: [1], types: ['URL.'], privateAllowed: false }, 30).body);
    expect(union.values.map((v: { index: number }) => v.index)).toEqual([1, 4]);
    const none = JSON.parse(renderHandleReply(record(), 'h/x', { indexes: [2], types: [], privateAllowed: false }, 30).body);
    expect(none).toEqual({ responseCode: 200, handle: 'h/x', values: [] });
  });

  it('gives each view its own entity tag, stable for the same view', () => {
    const a = renderHandleReply(record(), 'h/x', { indexes: [1], types: [], privateAllowed: false }, 30).etag;
    const b = renderHandleReply(record(), 'h/x', { indexes: [4], types: [], privateAllowed: false }, 30).etag;
    expect(a).not.toBe(b);
    expect(renderHandleReply(record(), 'h/x', { indexes: [1], types: [], privateAllowed: false }, 30).etag).toBe(a);
    expect(renderHandleReply(record({ etag: 'def' }), 'h/x', plain, 30).etag).not.toBe(renderHandleReply(record(), 'h/x', plain, 30).etag);
  });

  it('renders a cached not-found as 404 responseCode 100 cacheable for the negative TTL', () => {
    const missing: MissingRecord = { kind: 'missing', handleKey: '88.118.8/none', prefixKey: '88.118.8', loadedAt: NOW };
    const reply = renderHandleReply(missing, '88.118.8/NONE', plain, 30);
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ responseCode: 100, handle: '88.118.8/NONE' });
    expect(reply.cacheControl).toBe('public, max-age=30');
    expect(renderHandleReply(missing, 'x/y', plain, 0).cacheControl).toBe('no-cache');
  });
});

describe('cacheControlFor', () => {
  it('counts down from the TTL since the record was loaded and never goes below no-cache', () => {
    const loaded = record({ loadedAt: NOW });
    expect(cacheControlFor(loaded, false, NOW)).toBe('public, max-age=3600');
    expect(cacheControlFor(loaded, false, NOW + 600_500)).toBe('public, max-age=3000');
    expect(cacheControlFor(loaded, true, NOW + 3_600_000)).toBe('no-cache');
    expect(cacheControlFor(record({ ttlSeconds: 0, loadedAt: NOW }), false, NOW)).toBe('no-cache');
  });
});

describe('etagMatches', () => {
  it('follows If-None-Match: lists, weak tags and *', () => {
    expect(etagMatches('"abc.p"', '"abc.p"')).toBe(true);
    expect(etagMatches('"x", W/"abc.p"', '"abc.p"')).toBe(true);
    expect(etagMatches('*', '"abc.p"')).toBe(true);
    expect(etagMatches('"abc"', '"abc.p"')).toBe(false);
    expect(etagMatches(undefined, '"abc.p"')).toBe(false);
  });
});

describe('visibleValues', () => {
  it('treats a value without permissions as the default 1110 (public read)', () => {
    expect(visibleValues(record().values, false).map((v) => v.index)).toEqual([1, 4]);
  });
});

describe('renderPlainReply (the bytes kept with a cache entry)', () => {
  const missing: MissingRecord = { kind: 'missing', handleKey: '88.118.8/nothing', prefixKey: '88.118.8', loadedAt: Date.now() } as MissingRecord;

  it('writes the same reply as renderHandleReply, for a found and a missing record', () => {
    for (const entry of [record(), missing]) {
      const bytes = renderPlainReply(entry, '88.118.8/Spelled', 30);
      const text = renderHandleReply(entry, '88.118.8/Spelled', plain, 30);
      expect(bytes.body.toString('utf8')).toBe(text.body);
      expect({ status: bytes.status, etag: bytes.etag, cacheControl: bytes.cacheControl }).toEqual({ status: text.status, etag: text.etag, cacheControl: text.cacheControl });
    }
  });

  it('reuses the bytes for the same entry and spelling, and renders again for another spelling or a new entry', () => {
    const entry = record();
    const first = renderPlainReply(entry, '88.118.8/Item', 30);
    expect(renderPlainReply(entry, '88.118.8/Item', 30).body).toBe(first.body);
    const other = renderPlainReply(entry, '88.118.8/ITEM', 30);
    expect(JSON.parse(other.body.toString('utf8')).handle).toBe('88.118.8/ITEM');
    const changed = record({ publicValuesJson: '[]', etag: 'def' });
    const fresh = renderPlainReply(changed, '88.118.8/ITEM', 30);
    expect(JSON.parse(fresh.body.toString('utf8')).values).toEqual([]);
    expect(fresh.etag).toBe('"def.p"');
  });

  it('recomputes max-age on every call (what is left of the TTL)', () => {
    const entry = record({ loadedAt: Date.now() - 1000 * 1000 });
    expect(renderPlainReply(entry, '88.118.8/Item', 30).cacheControl).toBe(`public, max-age=${3600 - 1000}`);
  });
});

describe('renderPlainReply max-age', () => {
  it('drops by one exactly when a whole second since the load has passed, not on the clock second', () => {
    const loadedAt = 1_800_000_000_400;
    const entry = record({ loadedAt, ttlSeconds: 100 });
    expect(renderPlainReply(entry, '88.118.8/Item', 30, loadedAt + 999).cacheControl).toBe('public, max-age=100');
    expect(renderPlainReply(entry, '88.118.8/Item', 30, loadedAt + 1000).cacheControl).toBe('public, max-age=99');
    expect(renderPlainReply(entry, '88.118.8/Item', 30, loadedAt + 1999).cacheControl).toBe('public, max-age=99');
    expect(renderPlainReply(entry, '88.118.8/Item', 30, loadedAt + 100_000).cacheControl).toBe('no-cache');
  });
});
