import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { checkWebhookTarget, isPublicAddress } from './webhook-target';
import { signatureOf } from './webhook-sender';
import { compareEventIds, comparePositions, instantMicros } from './event-matcher';
import { timeKeyOf } from './named-queries.service';
import { sortByEventId } from './event-feed';
import { textWithRecordTimeBytes } from '../query/query-document';
import { deliveryDue } from './subscription-delivery';
import type { FeedEvent } from './event-matcher';

describe('webhook targets', () => {
  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111'])('takes the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', 'not-an-ip'])(
    'refuses %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(false);
    },
  );

  it('lets tests use loopback when allowed, and still checks the scheme', async () => {
    await expect(checkWebhookTarget('http://127.0.0.1:9/hook', true)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookTarget('http://127.0.0.1:9/hook', false)).rejects.toThrow(/loopback, private or reserved/);
    await expect(checkWebhookTarget('javascript:alert(1)', true)).rejects.toThrow(/http or https/);
    await expect(checkWebhookTarget(42, true)).rejects.toThrow(/dest is required/);
  });
});

describe('delivery signature', () => {
  it('is HMAC-SHA256 of "<timestamp>.<body>" under the subscription secret, hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', 'k3y').update('1700000000.{"a":1}').digest('hex');
    expect(signatureOf('k3y', '1700000000', '{"a":1}')).toBe(`sha256=${expected}`);
    expect(signatureOf('other', '1700000000', '{"a":1}')).not.toBe(`sha256=${expected}`);
  });
});

describe('feed positions', () => {
  it('orders by record time, then eventID in code point order ("C" collation)', () => {
    const t1 = '2025-01-15T00:00:00.000001Z';
    const t2 = '2025-01-15T00:00:00.000002Z';
    expect(comparePositions({ time: t1, eventId: 'z' }, { time: t2, eventId: 'a' })).toBeLessThan(0);
    expect(comparePositions({ time: t1, eventId: '' }, { time: t1, eventId: 'a' })).toBeLessThan(0);
    expect(comparePositions({ time: t1, eventId: 'B' }, { time: t1, eventId: 'a' })).toBeLessThan(0);
    // U+FFFD (BMP) before U+1F600 (astral) in UTF-8 order, although UTF-16 units order them the other way.
    expect(compareEventIds('\ufffd', '\u{1f600}')).toBeLessThan(0);
  });

  it('orders eventIDs exactly as their UTF-8 bytes, surrogates (paired or lone) included', () => {
    const units = fc.oneof(fc.constantFrom('a', 'b', '\ud83d', '\ude00', '\ud800', '\udfff', '\ue000', '\uffff', '\ufffd', '\u{1f600}', '\u{10000}', '\u007f', '\u0080'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    const id = fc.array(units, { maxLength: 6 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(id, id, fc.string(), (a, b, common) => {
        for (const [x, y] of [[a, b], [common + a, common + b], [common + a, common + a + b]]) {
          expect(Math.sign(compareEventIds(x, y))).toBe(Math.sign(Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'))));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts a transaction\'s events by eventID as the database does, with or without surrogates among them', () => {
    const units = fc.oneof(fc.constantFrom('a', 'B', '0', '\ud83d', '\ude00', '\ue000', '\uffff', '\u{1f600}', '\u00e9'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    const id = fc.array(units, { minLength: 1, maxLength: 5 }).map((parts) => `ni:///sha-256;${parts.join('')}`);
    fc.assert(
      fc.property(fc.uniqueArray(id, { maxLength: 30 }), (ids) => {
        const events = ids.map((eventId) => ({ eventId }) as FeedEvent);
        sortByEventId(events);
        const expected = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
        expect(events.map((event) => event.eventId)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('sends a delivery that is not full once its oldest event was recorded the linger ago, at the latest the linger after it was queued', () => {
    const queuedAt = Date.UTC(2025, 0, 15, 0, 0, 1);
    // Recorded 150 ms before it was queued (a slow commit): goes out 250 ms after the queue.
    expect(deliveryDue(queuedAt, (queuedAt - 150) * 1000, 400) - queuedAt).toBe(250);
    // Recorded long ago (a backlog): due at once.
    expect(deliveryDue(queuedAt, (queuedAt - 60_000) * 1000 + 123, 400)).toBeLessThan(queuedAt);
    // A record time after the queue time (the database's clock runs ahead): the queue time bounds the wait.
    expect(deliveryDue(queuedAt, (queuedAt + 5_000) * 1000, 400) - queuedAt).toBe(400);
    // Microseconds are rounded up, never early.
    expect(deliveryDue(queuedAt, (queuedAt - 10) * 1000 - 1, 400) - queuedAt).toBe(390);
  });

  it('writes an event text with its recordTime as the same UTF-8 bytes as the joined string, whatever its characters', () => {
    const iso = '2025-01-15T00:00:00.123Z';
    const joined = (text: string) => Buffer.from(`${text.slice(0, -1)},"recordTime":"${iso}"}`, 'utf8');
    for (const text of ['{"a":1}', '{"名称":"电子标签","x":"\u{1f600}"}', '{"é":"\u00ff\u0100"}', `{"long":"${'x'.repeat(5000)}é"}`]) {
      const bytes = textWithRecordTimeBytes(text, iso);
      expect(bytes.equals(joined(text))).toBe(true);
      expect(JSON.parse(bytes.toString('utf8')).recordTime).toBe(iso);
    }
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), (document) => {
        const text = JSON.stringify(document);
        if (text === '{}') return;
        expect(textWithRecordTimeBytes(text, iso).equals(joined(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads instants and time keys to the microsecond', () => {
    expect(instantMicros('2025-01-15T00:00:00.123456Z') - instantMicros('2025-01-15T00:00:00.123Z')).toBe(456);
    expect(instantMicros('2025-01-15T08:00:00.5+08:00')).toBe(instantMicros('2025-01-15T00:00:00.500000Z'));
    expect(timeKeyOf('2025-01-15T08:00:00.1234567+08:00')).toBe('2025-01-15T00:00:00.123456Z');
    expect(timeKeyOf('2025-01-15')).toBeNull();
    expect(timeKeyOf('2025-02-30T00:00:00Z')).toBeNull();
    expect(timeKeyOf('2025-01-15T00:00:00Z')).toBe('2025-01-15T00:00:00.000000Z');
  });
});
