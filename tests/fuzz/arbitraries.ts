import fc from 'fast-check';
import { epcisDocument, objectEvent, transformationEvent } from '../support/epcis-seed';

/**
 * fast-check generators for what reaches the node's front doors: handles in every encoding,
 * bodies of the wrong shape and size, headers, query strings, EPCIS documents and MQTT payloads.
 * Each generator is mostly wrong input with some valid input mixed in, so that both the refusals
 * and the writes around them are exercised.
 */

/** One HTTP request to send. `body` is sent as is (already serialised). */
export interface HttpCase {
  kind: 'http';
  door: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One MQTT message to publish on the enterprise's own events topic. */
export interface MqttCase {
  kind: 'mqtt';
  door: 'mqtt';
  payload: Buffer;
}

export type FuzzCase = HttpCase | MqttCase;

/** Who the generated requests may act as: the tokens of the fuzz target's accounts. */
export interface Principals {
  own: { prefix: string; token: string };
  other: { prefix: string; token: string };
  operatorToken: string;
}

// ---------------------------------------------------------------- text

/** Text with the characters that break things: NUL, controls, surrogates, RTL marks, quotes, slashes, dots. */
const nasty = fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u200f', '\ufeff', '\ud800', '"', "'", '\\', '/', '.', '..', '%', '%00', '%2e', '%2F', '?', '#', '&', '=', ';', ' ', '\n', '\r\n', '\t', '<script>', '${x}', '{{x}}', 'null', '-1', '1e309', '中文', '🙂');

export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(nasty, fc.string({ maxLength: 4 })), { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => 'x'.repeat(n)) },
);

/** Header-safe text (what a client can put on the wire: visible ASCII and spaces). */
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.integer({ min: 100, max: 6000 }).map((n) => 'h'.repeat(n)),
);

/** encodeURIComponent that survives lone surrogates (they become U+FFFD, as a browser would send them). */
export function encodeSegment(value: string): string {
  return encodeURIComponent(wellFormed(value));
}

function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// ---------------------------------------------------------------- handles

/** Suffix shapes: plain, dotted, segment games, long, text with anything in it. */
const suffix = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  fc.constantFrom('.', '..', './x', '../x', 'a/./b', 'a/../b', 'a//b', '', '/', 'A%2FB', 'x%00'),
  fc.integer({ min: 240, max: 300 }).map((n) => 's'.repeat(n)),
  text,
);

function prefixes(p: Principals): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(p.own.prefix) },
    { weight: 2, arbitrary: fc.constant(p.other.prefix) },
    { weight: 1, arbitrary: fc.constantFrom('88.118.08', '88.118', '88', '0.NA', '88.118.8.', '.88.118.8', '88..118', '', '88.118.999999999999') },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9.]{0,70}$/) },
    { weight: 1, arbitrary: text },
  );
}

/** How a handle is written into a URL path: encoded as a client library would, or not at all, or badly. */
const encodings: Array<(handle: string) => string> = [
  (h) => h.split('/').map(encodeSegment).join('/'),
  (h) => encodeSegment(h),
  (h) => encodeSegment(encodeSegment(h)),
  (h) => encodeURI(wellFormed(h)),
  (h) => h.replace(/[^A-Za-z0-9._~!$&'()*+,;=:@/-]/g, (c) => `%${(c.codePointAt(0)! & 0xff).toString(16).padStart(2, '0')}`),
  (h) => `${h}%`,
  (h) => `${h}%zz`,
  (h) => h.replace('/', '%2f'),
  (h) => h.replace('/', '%c0%af'),
];

export function handlePaths(p: Principals): fc.Arbitrary<string> {
  return fc
    .tuple(prefixes(p), fc.constantFrom('/', '', '//', '%2F'), suffix, fc.nat(encodings.length - 1))
    .map(([prefix, slash, rest, encoding]) => encodings[encoding](`${prefix}${slash}${rest}`));
}

/** A handle a client would mean (for bodies and query strings), not URL-encoded. */
export function handles(p: Principals): fc.Arbitrary<string> {
  return fc.tuple(prefixes(p), suffix).map(([prefix, rest]) => `${prefix}/${rest}`);
}

// ---------------------------------------------------------------- JSON

/** Applies a few random damages to a valid JSON value: deleted keys, wrong types, NULs, huge or deep values, unknown fields. */
export function damaged(valid: unknown): fc.Arbitrary<unknown> {
  const damage = fc.record({
    at: fc.nat(),
    how: fc.constantFrom('delete', 'replace', 'wrap', 'unknown-key', 'nul', 'long', 'deep', 'type'),
    with: fc.jsonValue({ maxDepth: 3 }),
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(valid) },
    { weight: 6, arbitrary: fc.array(damage, { minLength: 1, maxLength: 3 }).map((damages) => damages.reduce((value, d) => applyDamage(value, d), structuredClone(valid))) },
  );
}

type Damage = { at: number; how: string; with: unknown };

function applyDamage(root: unknown, damage: Damage): unknown {
  const slots: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach((item, i) => (slots.push({ parent: value, key: i }), walk(item)));
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) slots.push({ parent: value as Record<string, unknown>, key }), walk(item);
  };
  walk(root);
  if (slots.length === 0) return damage.with;
  const { parent, key } = slots[damage.at % slots.length];
  const current = (parent as Record<string | number, unknown>)[key];
  const set = (value: unknown) => ((parent as Record<string | number, unknown>)[key] = value);
  switch (damage.how) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 'replace':
      set(damage.with);
      break;
    case 'wrap':
      set([current, current]);
      break;
    case 'unknown-key':
      if (!Array.isArray(parent)) parent[`x-${String(key)}`] = damage.with;
      break;
    case 'nul':
      set(typeof current === 'string' ? `${current.slice(0, 3)}\u0000${current.slice(3)}` : '\u0000');
      break;
    case 'long':
      set(typeof current === 'string' ? current.repeat(Math.ceil(70_000 / Math.max(1, current.length))) : 9.99e307);
      break;
    case 'deep':
      set(deepNest(300, current));
      break;
    default:
      set(typeof current === 'string' ? Number(current) || 42 : typeof current === 'number' ? String(current) : typeof current === 'boolean' ? 'true' : {});
  }
  return root;
}

function deepNest(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
}

/** A serialised body: JSON of the given shape (mostly damaged), or something that is not JSON at all. */
export function bodies(valid: unknown): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: damaged(valid).map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[', '{"a":1,"a":2}', 'null', '"str"', '1e999', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]') },
    { weight: 1, arbitrary: text },
  );
}

// ---------------------------------------------------------------- headers and query strings

/** The Authorization header a case is sent with: the right token, another tenant's, none, or garbage. */
export function authorizations(p: Principals): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant({ authorization: `Bearer ${p.own.token}` }) },
    { weight: 2, arbitrary: fc.constant({ authorization: `Bearer ${p.other.token}` }) },
    { weight: 1, arbitrary: fc.constant({ authorization: `Bearer ${p.operatorToken}` }) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        headerText.map((t) => ({ authorization: `Bearer ${t}` })),
        headerText.map((t) => ({ authorization: `Basic ${Buffer.from(t).toString('base64')}` })),
        headerText.map((t) => ({ authorization: t })),
        fc.constant({ authorization: `Bearer ${p.own.token.slice(0, -3)}abc` }),
        fc.constant({ authorization: 'Handle sessionId="x", id="300:88.118.8/ADMIN", type="HS_PUBKEY", cnonce="AA==", alg="SHA256", signature="AA=="' }),
        headerText.map((t) => ({ 'x-api-key': t })),
      ),
    },
  );
}

/** Extra headers: content types, forwarded-for chains, request ids, accept, odd names. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constant('content-type'), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/ld+json', 'application/json; charset=latin1', '')),
      fc.tuple(fc.constant('x-forwarded-for'), fc.oneof(fc.ipV4(), fc.ipV6(), headerText)),
      fc.tuple(fc.constant('x-request-id'), headerText),
      fc.tuple(fc.constant('accept'), fc.oneof(fc.constantFrom('text/html', 'application/json', 'text/csv', '*/*', 'image/png'), headerText)),
      fc.tuple(fc.constantFrom('x-idis-test', 'if-none-match', 'range', 'origin', 'accept-language'), headerText),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => Object.fromEntries(pairs));

/** A query string of known parameter names with hostile values, and unknown names. */
export function queries(names: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(text, fc.integer().map(String), fc.constantFrom('', '-1', '0', '1e9', '99999999999999999999', 'true', 'NaN', '2025-13-45', '2025-01-15T08:00:00+08:00'));
  return fc
    .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: text }), value), { maxLength: 5 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')}` : ''));
}

// ---------------------------------------------------------------- EPCIS

let eventCounter = 0;

/** A valid EPCIS 2.0 document for `prefix` (fresh event ids), the base that `damaged` breaks. */
export function validEpcisDocument(prefix: string): Record<string, unknown> {
  eventCounter += 1;
  const epc = (n: number) => `https://id.idis.example/${prefix}/fuzz-${eventCounter}-${n}`;
  return epcisDocument([
    objectEvent({ time: '2025-01-15T08:00:00.000+08:00', epcs: [epc(1)], eventID: `urn:uuid:00000000-0000-4000-8000-${String(eventCounter).padStart(12, '0')}`, bizStep: 'commissioning' }),
    transformationEvent({ time: '2025-01-15T08:05:00.000+08:00', inputs: [epc(1)], outputs: [epc(2)] }),
  ]);
}

export function epcisDocuments(prefix: string): fc.Arbitrary<string> {
  return fc.constant(null).chain(() => bodies(validEpcisDocument(prefix)));
}

export function mqttPayloads(prefix: string): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: epcisDocuments(prefix).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('{"epcisBody":{"eventList":[' + '{},'.repeat(3000) + '{}]}}')) },
  );
}
