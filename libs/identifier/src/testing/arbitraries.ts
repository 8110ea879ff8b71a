// fast-check arbitraries for the identifier model, shared by the specs (and usable by app tests).
import fc from 'fast-check';
import { MAX_HANDLE_BYTES, MAX_PREFIX_BYTES } from '../handle';
import type { AdminValue, HandleValue, ValueData, ValueReference } from '../value';
import type { Ttl } from '../ttl';
import type { Permissions } from '../permissions';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SEGMENT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.split('');

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

export const prefixSegment = (): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...SEGMENT_CHARS), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));

export const validPrefix = (): fc.Arbitrary<string> =>
  fc
    .array(prefixSegment(), { minLength: 1, maxLength: 6 })
    .map((segments) => segments.join('.'))
    .filter((p) => bytes(p) <= MAX_PREFIX_BYTES);

/** Any code points except controls (no lone surrogates: the 'binary' unit never produces them). */
export const validSuffix = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength }),
  ).filter((s) => !CONTROL.test(s));

export const validHandleParts = (): fc.Arbitrary<{ prefix: string; suffix: string }> =>
  fc
    .record({ prefix: validPrefix(), suffix: validSuffix() }, { noNullPrototype: true })
    .filter(({ prefix, suffix }) => bytes(prefix) + 1 + bytes(suffix) <= MAX_HANDLE_BYTES);

export const validHandle = (): fc.Arbitrary<string> => validHandleParts().map(({ prefix, suffix }) => `${prefix}/${suffix}`);

const uint32 = (min: number) => fc.integer({ min, max: 4294967295 });
/** Epoch seconds that ISO 8601 can spell with a four-digit year. */
const epochSeconds = () => fc.integer({ min: 0, max: 253402300799 });

export const isoSeconds = (): fc.Arbitrary<string> =>
  epochSeconds().map((s) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

const reference = (): fc.Arbitrary<ValueReference> => fc.record({ handle: validHandle(), index: uint32(0) }, { noNullPrototype: true });

const adminValue = (): fc.Arbitrary<AdminValue> =>
  fc.record({
    handle: validHandle(),
    index: uint32(1),
    permissions: fc.array(fc.constantFrom('0', '1'), { minLength: 12, maxLength: 12 }).map((cs) => cs.join('')),
  }, { noNullPrototype: true });

const valueData = (): fc.Arbitrary<ValueData> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }).map((value) => ({ format: 'string' as const, value })),
    fc.uint8Array({ maxLength: 64 }).map((b) => ({ format: 'base64' as const, value: Buffer.from(b).toString('base64') })),
    fc.uint8Array({ maxLength: 64 }).map((b) => ({ format: 'hex' as const, value: Buffer.from(b).toString('hex') })),
    adminValue().map((value) => ({ format: 'admin' as const, value })),
    fc.array(reference(), { maxLength: 4 }).map((value) => ({ format: 'vlist' as const, value })),
  );

export const valueType = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('URL', 'EMAIL', 'HS_ADMIN', 'HS_VLIST', 'HS_PUBKEY', 'HS_SITE.PREFIX', '10320/loc', 'TEMPLATE'),
    fc
      .string({ unit: 'binary', minLength: 1, maxLength: 30 })
      .filter((t) => !CONTROL.test(t) && !t.endsWith('.') && bytes(t) <= 128),
  );

const ttl = (): fc.Arbitrary<Ttl> =>
  fc.oneof(
    fc.integer({ min: 0, max: 2147483647 }).map((seconds) => ({ type: 'relative' as const, seconds })),
    epochSeconds().map((expiresAt) => ({ type: 'absolute' as const, expiresAt })),
  );

const permissions = (): fc.Arbitrary<Permissions> =>
  fc.record(
    { adminRead: fc.boolean(), adminWrite: fc.boolean(), publicRead: fc.boolean(), publicWrite: fc.boolean() },
    { noNullPrototype: true },
  );

export const handleValue = (): fc.Arbitrary<HandleValue> =>
  fc.record({
    index: uint32(1),
    type: valueType(),
    data: valueData(),
    ttl: ttl(),
    timestamp: isoSeconds(),
    permissions: permissions(),
    references: fc.array(reference(), { maxLength: 3 }),
  }, { noNullPrototype: true });
