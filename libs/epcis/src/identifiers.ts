import { tryParseHandle } from '@idis/identifier';
import { BoundedMemo } from './memo';
import { isAbsoluteUri } from './vocabulary';

/**
 * Identifier forms accepted in EPCIS events and their canonical (storage/query key) forms.
 *
 * - `hdl`: `hdl:<prefix>/<suffix>`, a valid IDIS/Handle handle; canonical = `hdl:` + prefix ASCII-lower-cased +
 *   `/` + suffix as given (Handle prefixes are case-insensitive, suffixes are not folded here).
 * - `dl`: a GS1 Digital Link URI (any host, optional path prefix, then a GS1 primary key `/01/…`, `/00/…`,
 *   `/414/…`, …); canonical = the URI trimmed, otherwise as given.
 * - `epc`: a pure-identity EPC URN (`urn:epc:id:…`), EPC class URN (`urn:epc:class:lgtin:…`) or EPC pattern
 *   (`urn:epc:idpat:…`); canonical = trimmed, otherwise as given.
 * - `uri`: any other absolute URI (`urn:uuid:…`, `https://example.com/…`); canonical = trimmed.
 *
 * `gs1DigitalLinkForm` gives the cross-form GS1 key (canonical Digital Link on id.gs1.org) used by the event hash.
 */
export type IdentifierKind = 'hdl' | 'dl' | 'epc' | 'uri';

export interface CanonicalIdentifier {
  kind: IdentifierKind;
  canonical: string;
  /** the bare handle (prefix lower-cased) for `hdl:` identifiers, else null */
  handle: string | null;
}

/** Whether an identifier names one object (`instance`) or a class/lot/pattern of objects (`class`). */
export type IdentifierGranularity = 'instance' | 'class';

export type IdentifierCheck =
  | { ok: true; value: CanonicalIdentifier; granularity: IdentifierGranularity }
  | { ok: false; reason: string };

export const MAX_IDENTIFIER_LENGTH = 2048;

export function canonicalIdentifier(value: string): CanonicalIdentifier | null {
  const checked = checkIdentifier(value);
  return checked.ok ? checked.value : null;
}

/** The canonical identifier for a bare IDIS handle ("88.118.8/ABC" → "hdl:88.118.8/ABC"); throws IdentifierError. */
export function handleToIdentifier(handle: string): string {
  const bare = /^hdl:/i.test(handle) ? handle.slice(4) : handle;
  const parsed = tryParseHandle(bare);
  if (!parsed.ok) throw parsed.error;
  return `hdl:${parsed.value.prefixKey}/${parsed.value.suffix}`;
}

/** Classifies and validates an identifier; the reason explains a rejection in words a publisher can act on. */
export function checkIdentifier(raw: string): IdentifierCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'identifier must be a string' };
  const value = raw.trim();
  if (value.length === 0) return { ok: false, reason: 'identifier is empty' };
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    return { ok: false, reason: `identifier is ${value.length} characters; the limit is ${MAX_IDENTIFIER_LENGTH}` };
  }
  if (/^hdl:/i.test(value)) return checkHandle(value.slice(4));
  if (/^urn:epc:/i.test(value)) return checkEpcUrn(value);
  if (!isAbsoluteUri(value)) {
    if (tryParseHandle(value).ok) {
      return { ok: false, reason: `${JSON.stringify(value)} looks like a bare handle; write it as "hdl:${value}"` };
    }
    return {
      ok: false,
      reason: `${JSON.stringify(value)} is not an absolute URI (expected hdl:…, a GS1 Digital Link, an EPC URN or another URI)`,
    };
  }
  const dl = parseDigitalLink(value);
  if (dl) {
    if ('error' in dl) return { ok: false, reason: dl.error };
    return { ok: true, value: { kind: 'dl', canonical: value, handle: null }, granularity: dl.granularity };
  }
  if (/^https?:\/\/id\.gs1\.org(\/|$)/i.test(value)) {
    return { ok: false, reason: `${JSON.stringify(value)} is on id.gs1.org but has no GS1 primary key path (e.g. /01/{gtin})` };
  }
  return { ok: true, value: { kind: 'uri', canonical: value, handle: null }, granularity: 'instance' };
}

function checkHandle(bare: string): IdentifierCheck {
  const parsed = tryParseHandle(bare);
  if (!parsed.ok) return { ok: false, reason: `invalid handle in hdl: identifier: ${parsed.error.message}` };
  const handle = `${parsed.value.prefixKey}/${parsed.value.suffix}`;
  return { ok: true, value: { kind: 'hdl', canonical: `hdl:${handle}`, handle }, granularity: 'instance' };
}

// ---------------------------------------------------------------------------------------------------------------
// EPC URNs (GS1 EPC Tag Data Standard pure identities, classes and patterns)

/** One character of a GS1 AI-82 serial as written in an EPC URN (percent escapes allowed). */
const S = `(?:%[0-9A-Fa-f]{2}|[!'()*+,.0-9:;=A-Za-z_-])`;
const CP = '(\\d{6,12})';
/** One character of a CPI part reference (AI 8010): digits, capitals, '-', and '#' and '/' escaped as %23 / %2F. */
const CPI_PART = '(?:%2[3Ff]|[0-9A-Z-])';

interface EpcScheme {
  re: RegExp;
  /** total digits of company prefix + reference, checked separately */
  digits?: number;
  granularity: IdentifierGranularity;
  toDl: (m: RegExpExecArray) => string;
}

const EPC_SCHEMES: Record<string, EpcScheme> = {
  'id:sgtin': {
    re: new RegExp(`^urn:epc:id:sgtin:${CP}\\.(\\d{1,7})\\.(${S}{1,20})$`),
    digits: 13,
    granularity: 'instance',
    toDl: (m) => `/01/${gtinFrom(m[1], m[2])}/21/${m[3]}`,
  },
  'id:sscc': {
    re: new RegExp(`^urn:epc:id:sscc:${CP}\\.(\\d{5,11})$`),
    digits: 17,
    granularity: 'instance',
    toDl: (m) => `/00/${withCheckDigit(m[2][0] + m[1] + m[2].slice(1))}`,
  },
  'id:sgln': {
    re: new RegExp(`^urn:epc:id:sgln:${CP}\\.(\\d{0,6})\\.(${S}{1,20})$`),
    digits: 12,
    granularity: 'instance',
    toDl: (m) => `/414/${withCheckDigit(m[1] + m[2])}${m[3] === '0' ? '' : `/254/${m[3]}`}`,
  },
  'id:grai': {
    re: new RegExp(`^urn:epc:id:grai:${CP}\\.(\\d{0,6})\\.(${S}{1,16})$`),
    digits: 12,
    granularity: 'instance',
    toDl: (m) => `/8003/0${withCheckDigit(m[1] + m[2])}${m[3]}`,
  },
  'id:giai': {
    re: new RegExp(`^urn:epc:id:giai:${CP}\\.(${S}{1,24})$`),
    granularity: 'instance',
    toDl: (m) => `/8004/${m[1]}${m[2]}`,
  },
  'id:gsrn': {
    re: new RegExp(`^urn:epc:id:gsrn:${CP}\\.(\\d{5,11})$`),
    digits: 17,
    granularity: 'instance',
    toDl: (m) => `/8018/${withCheckDigit(m[1] + m[2])}`,
  },
  'id:gsrnp': {
    re: new RegExp(`^urn:epc:id:gsrnp:${CP}\\.(\\d{5,11})$`),
    digits: 17,
    granularity: 'instance',
    toDl: (m) => `/8017/${withCheckDigit(m[1] + m[2])}`,
  },
  'id:gdti': {
    re: new RegExp(`^urn:epc:id:gdti:${CP}\\.(\\d{0,6})\\.(${S}{0,17})$`),
    digits: 12,
    granularity: 'instance',
    toDl: (m) => `/253/${withCheckDigit(m[1] + m[2])}${m[3]}`,
  },
  'id:sgcn': {
    re: new RegExp(`^urn:epc:id:sgcn:${CP}\\.(\\d{0,6})\\.(\\d{1,12})$`),
    digits: 12,
    granularity: 'instance',
    toDl: (m) => `/255/${withCheckDigit(m[1] + m[2])}${m[3]}`,
  },
  'id:ginc': {
    re: new RegExp(`^urn:epc:id:ginc:${CP}\\.(${S}{1,24})$`),
    granularity: 'instance',
    toDl: (m) => `/401/${m[1]}${m[2]}`,
  },
  'id:gsin': {
    re: new RegExp(`^urn:epc:id:gsin:${CP}\\.(\\d{4,10})$`),
    digits: 16,
    granularity: 'instance',
    toDl: (m) => `/402/${withCheckDigit(m[1] + m[2])}`,
  },
  'id:pgln': {
    re: new RegExp(`^urn:epc:id:pgln:${CP}\\.(\\d{0,6})$`),
    digits: 12,
    granularity: 'instance',
    toDl: (m) => `/417/${withCheckDigit(m[1] + m[2])}`,
  },
  'id:itip': {
    re: new RegExp(`^urn:epc:id:itip:${CP}\\.(\\d{1,7})\\.(\\d{2})\\.(\\d{2})\\.(${S}{1,20})$`),
    digits: 13,
    granularity: 'instance',
    toDl: (m) => `/8006/${gtinFrom(m[1], m[2])}${m[3]}${m[4]}/21/${m[5]}`,
  },
  'id:upui': {
    re: new RegExp(`^urn:epc:id:upui:${CP}\\.(\\d{1,7})\\.(${S}{1,28})$`),
    digits: 13,
    granularity: 'instance',
    toDl: (m) => `/01/${gtinFrom(m[1], m[2])}/235/${m[3]}`,
  },
  'id:cpi': {
    re: new RegExp(`^urn:epc:id:cpi:${CP}\\.(${CPI_PART}{1,24})\\.(\\d{1,12})$`),
    granularity: 'instance',
    toDl: (m) => `/8010/${m[1]}${m[2]}/8011/${m[3]}`,
  },
  'class:lgtin': {
    re: new RegExp(`^urn:epc:class:lgtin:${CP}\\.(\\d{1,7})\\.(${S}{1,20})$`),
    digits: 13,
    granularity: 'class',
    toDl: (m) => `/01/${gtinFrom(m[1], m[2])}/10/${m[3]}`,
  },
  'idpat:sgtin': {
    re: new RegExp(`^urn:epc:idpat:sgtin:${CP}\\.(\\d{1,7})\\.\\*$`),
    digits: 13,
    granularity: 'class',
    toDl: (m) => `/01/${gtinFrom(m[1], m[2])}`,
  },
  'idpat:grai': {
    re: new RegExp(`^urn:epc:idpat:grai:${CP}\\.(\\d{0,6})\\.\\*$`),
    digits: 12,
    granularity: 'class',
    toDl: (m) => `/8003/0${withCheckDigit(m[1] + m[2])}`,
  },
  'idpat:gdti': {
    re: new RegExp(`^urn:epc:idpat:gdti:${CP}\\.(\\d{0,6})\\.\\*$`),
    digits: 12,
    granularity: 'class',
    toDl: (m) => `/253/${withCheckDigit(m[1] + m[2])}`,
  },
  'idpat:sgcn': {
    re: new RegExp(`^urn:epc:idpat:sgcn:${CP}\\.(\\d{0,6})\\.\\*$`),
    digits: 12,
    granularity: 'class',
    toDl: (m) => `/255/${withCheckDigit(m[1] + m[2])}`,
  },
  'idpat:cpi': {
    re: new RegExp(`^urn:epc:idpat:cpi:${CP}\\.(${CPI_PART}{1,24})\\.\\*$`),
    granularity: 'class',
    toDl: (m) => `/8010/${m[1]}${m[2]}`,
  },
  'idpat:itip': {
    re: new RegExp(`^urn:epc:idpat:itip:${CP}\\.(\\d{1,7})\\.(\\d{2})\\.(\\d{2})\\.\\*$`),
    digits: 13,
    granularity: 'class',
    toDl: (m) => `/8006/${gtinFrom(m[1], m[2])}${m[3]}${m[4]}`,
  },
  'idpat:upui': {
    re: new RegExp(`^urn:epc:idpat:upui:${CP}\\.(\\d{1,7})\\.\\*$`),
    digits: 13,
    granularity: 'class',
    toDl: (m) => `/01/${gtinFrom(m[1], m[2])}`,
  },
};

const GENERIC_EPC = /^urn:epc:(id|class|idpat):([a-z0-9]+):([^\s]+)$/;

function checkEpcUrn(value: string): IdentifierCheck {
  const generic = GENERIC_EPC.exec(value);
  if (!generic) {
    return {
      ok: false,
      reason:
        `${JSON.stringify(value)} is not a pure-identity EPC URN ` +
        '(expected urn:epc:id:<scheme>:…, urn:epc:class:<scheme>:… or urn:epc:idpat:<scheme>:…, lower-case)',
    };
  }
  const granularity: IdentifierGranularity = generic[1] === 'id' ? 'instance' : 'class';
  const scheme = EPC_SCHEMES[`${generic[1]}:${generic[2]}`];
  if (scheme) {
    const m = scheme.re.exec(value);
    const valid = m !== null && (scheme.digits === undefined || m[1].length + m[2].length === scheme.digits);
    if (!valid && !(generic[1] === 'idpat' && isWiderPattern(generic[3]))) {
      return { ok: false, reason: `${JSON.stringify(value)} is not a valid ${generic[1]}:${generic[2]} EPC URN` };
    }
  }
  return { ok: true, value: { kind: 'epc', canonical: value, handle: null }, granularity };
}

/**
 * An EPC pattern whose wildcard starts before its last component (TDS §8: `urn:epc:idpat:sgtin:0614141.*.*`,
 * `urn:epc:idpat:sscc:*.*`): every component from the first `*` on is `*`. Such patterns name more than one class;
 * they have no Digital Link form (the hash keeps them as written).
 */
function isWiderPattern(body: string): boolean {
  const parts = body.split('.');
  const first = parts.indexOf('*');
  if (first < 0) return false;
  return (
    parts.slice(first).every((p) => p === '*') &&
    parts.slice(0, first).every((p) => /^(?:%[0-9A-Fa-f]{2}|[0-9A-Za-z_-])*$/.test(p))
  );
}

function epcToDigitalLinkPath(value: string): string | null {
  const generic = GENERIC_EPC.exec(value);
  if (!generic) return null;
  const scheme = EPC_SCHEMES[`${generic[1]}:${generic[2]}`];
  if (!scheme) return null;
  const m = scheme.re.exec(value);
  if (!m || (scheme.digits !== undefined && m[1].length + m[2].length !== scheme.digits)) return null;
  return scheme.toDl(m);
}

// ---------------------------------------------------------------------------------------------------------------
// GS1 Digital Link

const SHORT_NAMES: Record<string, string> = {
  gtin: '01', itip: '8006', cpid: '8010', gln: '414', party: '417', gsrnp: '8017', gsrn: '8018', gcn: '255',
  sscc: '00', gdti: '253', ginc: '401', gsin: '402', grai: '8003', giai: '8004', gmn: '8013',
  cpv: '22', lot: '10', ser: '21', glnx: '254', cpsn: '8011', srin: '8019',
};

interface PrimaryKeySpec {
  /** value syntax */
  re: RegExp;
  /** how many leading digits carry a GS1 check digit (0 = none) */
  checkDigits: (value: string) => number;
  /** allowed key qualifiers, in their mandatory order */
  qualifiers: string[];
  granularity: (qualifiers: string[], value: string) => IdentifierGranularity;
}

const DL_CHARS = "[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]";

const PRIMARY_KEYS: Record<string, PrimaryKeySpec> = {
  '01': {
    re: /^(\d{8}|\d{12}|\d{13}|\d{14})$/,
    checkDigits: (v) => v.length,
    qualifiers: ['22', '10', '21'],
    granularity: (q) => (q.includes('21') || q.includes('235') ? 'instance' : 'class'),
  },
  '8006': {
    re: /^\d{18}$/,
    checkDigits: () => 14,
    qualifiers: ['22', '10', '21'],
    granularity: (q) => (q.includes('21') ? 'instance' : 'class'),
  },
  '00': { re: /^\d{18}$/, checkDigits: () => 18, qualifiers: [], granularity: () => 'instance' },
  '414': { re: /^\d{13}$/, checkDigits: () => 13, qualifiers: ['254', '7040'], granularity: () => 'instance' },
  '417': { re: /^\d{13}$/, checkDigits: () => 13, qualifiers: ['7040'], granularity: () => 'instance' },
  '8017': { re: /^\d{18}$/, checkDigits: () => 18, qualifiers: ['8019'], granularity: () => 'instance' },
  '8018': { re: /^\d{18}$/, checkDigits: () => 18, qualifiers: ['8019'], granularity: () => 'instance' },
  '402': { re: /^\d{17}$/, checkDigits: () => 17, qualifiers: [], granularity: () => 'instance' },
  '8003': {
    re: new RegExp(`^0\\d{13}${DL_CHARS}{0,16}$`),
    checkDigits: () => 14,
    qualifiers: [],
    granularity: (_q, v) => (v.length > 14 ? 'instance' : 'class'),
  },
  '253': {
    re: new RegExp(`^\\d{13}${DL_CHARS}{0,17}$`),
    checkDigits: () => 13,
    qualifiers: [],
    granularity: (_q, v) => (v.length > 13 ? 'instance' : 'class'),
  },
  '255': {
    re: /^\d{13}\d{0,12}$/,
    checkDigits: () => 13,
    qualifiers: [],
    granularity: (_q, v) => (v.length > 13 ? 'instance' : 'class'),
  },
  '8004': { re: new RegExp(`^\\d{4}${DL_CHARS}{0,26}$`), checkDigits: () => 0, qualifiers: [], granularity: () => 'instance' },
  '401': { re: new RegExp(`^\\d{4}${DL_CHARS}{0,26}$`), checkDigits: () => 0, qualifiers: [], granularity: () => 'instance' },
  '8010': {
    re: /^\d{4}[#\-/0-9A-Z%]{0,26}$/,
    checkDigits: () => 0,
    qualifiers: ['8011'],
    granularity: (q) => (q.includes('8011') ? 'instance' : 'class'),
  },
  '8013': { re: new RegExp(`^\\d{4}${DL_CHARS}{0,21}$`), checkDigits: () => 0, qualifiers: [], granularity: () => 'class' },
};

/** Qualifier AIs: a path that has one of these before its primary key is out of order. */
const QUALIFIER_AIS = new Set(['22', '10', '21', '235', '254', '7040', '8011', '8019']);

interface ParsedDigitalLink {
  primaryKey: string;
  /** the key value percent-decoded (checked against the AI's syntax) */
  value: string;
  /** the key value as written in the path, percent-escapes kept */
  rawValue: string;
  qualifiers: [string, string][];
  granularity: IdentifierGranularity;
}

/**
 * Parsed Digital Links, kept while there is room: validation and the event hash both parse the same
 * links, and read points and business locations recur from event to event. (Handles and EPC URNs,
 * mostly unique per event and cheaper to parse, are not worth a cache entry.)
 */
const DIGITAL_LINKS = new BoundedMemo<ParsedDigitalLink | { error: string } | null>(4096);

/**
 * Parses an http(s) URI as a GS1 Digital Link. Returns null when the URI has no GS1 primary key in its path
 * (it is then an ordinary URI), `{error}` when it has one but is malformed.
 */
function parseDigitalLink(value: string): ParsedDigitalLink | { error: string } | null {
  return DIGITAL_LINKS.get(value, parseDigitalLinkUncached);
}

function parseDigitalLinkUncached(value: string): ParsedDigitalLink | { error: string } | null {
  const m = /^https?:\/\/[^/?#\s]+((?:\/[^/?#\s]*)*)(\?[^#\s]*)?(#\S*)?$/i.exec(value);
  if (!m) return null;
  const segments = m[1].split('/').slice(1);
  const keyIndex = segments.findIndex((s, i) => PRIMARY_KEYS[aiOf(s)] !== undefined && i + 1 < segments.length);
  if (keyIndex < 0) return null;
  if (segments.slice(0, keyIndex).some((s) => QUALIFIER_AIS.has(aiOf(s)))) {
    return { error: `${JSON.stringify(value)}: GS1 Digital Link key qualifiers must follow the primary key` };
  }
  const primaryKey = aiOf(segments[keyIndex]);
  const spec = PRIMARY_KEYS[primaryKey];
  const keyValue = safeDecode(segments[keyIndex + 1]);
  const rest = segments.slice(keyIndex + 2);
  if (rest.length > 0 && rest[rest.length - 1] === '') rest.pop(); // a trailing slash is tolerated
  if (keyValue === null || !spec.re.test(keyValue)) {
    return { error: `${JSON.stringify(value)}: ${JSON.stringify(keyValue ?? segments[keyIndex + 1])} is not a valid GS1 AI (${primaryKey}) value` };
  }
  const checked = spec.checkDigits(keyValue);
  if (checked > 0 && !hasValidCheckDigit(keyValue.slice(0, checked))) {
    return { error: `${JSON.stringify(value)}: the check digit of GS1 AI (${primaryKey}) ${keyValue.slice(0, checked)} is wrong` };
  }
  if (rest.length % 2 !== 0) {
    return { error: `${JSON.stringify(value)}: GS1 Digital Link path segments after the primary key must be AI/value pairs` };
  }
  const qualifiers: [string, string][] = [];
  for (let i = 0; i < rest.length; i += 2) qualifiers.push([aiOf(rest[i]), rest[i + 1]]);
  const allowed = primaryKey === '01' && qualifiers.some(([ai]) => ai === '235') ? ['235'] : spec.qualifiers;
  let last = -1;
  for (const [ai, v] of qualifiers) {
    const position = allowed.indexOf(ai);
    if (position < 0 || position <= last || v.length === 0) {
      return {
        error:
          `${JSON.stringify(value)}: qualifier (${ai}) is not allowed here after GS1 AI (${primaryKey})` +
          (allowed.length ? `; allowed, in this order: ${allowed.map((a) => `(${a})`).join(', ')}` : ''),
      };
    }
    last = position;
  }
  const names = qualifiers.map(([ai]) => ai);
  return { primaryKey, value: keyValue, rawValue: segments[keyIndex + 1], qualifiers, granularity: spec.granularity(names, keyValue) };
}

/**
 * The canonical GS1 Digital Link of a GS1 key (CBV 2.0 hash normalisation): EPC URNs converted, host replaced by
 * https://id.gs1.org, short names replaced by AIs, GTINs padded to 14 digits, query/fragment and CPV (22) dropped,
 * and the lot (10) dropped when a serial (21) is present. Class-level and pattern URNs (LGTIN, `idpat` SGTIN, GRAI,
 * GDTI, SGCN, CPI, ITIP, UPUI) become the Digital Link of their class; wider patterns (`…*.*`) have none. Serials
 * and percent-escapes are carried over exactly as written (no decoding, no re-encoding), as the reference
 * generator does. Null when the value is no GS1 key.
 */
export function gs1DigitalLinkForm(value: string): string | null {
  if (value.startsWith('urn:epc:')) {
    const path = epcToDigitalLinkPath(value);
    return path === null ? null : `https://id.gs1.org${path}`;
  }
  if (!/^https?:\/\//i.test(value)) return null;
  const parsed = parseDigitalLink(value);
  if (!parsed || 'error' in parsed) return null;
  // Percent-escapes stay as written: decoding "%2F" in a serial would change the path's structure.
  let keyValue = parsed.rawValue;
  if (parsed.primaryKey === '01') keyValue = keyValue.padStart(14, '0');
  let qualifiers = parsed.qualifiers.filter(([ai]) => ai !== '22');
  if (qualifiers.some(([ai]) => ai === '21')) qualifiers = qualifiers.filter(([ai]) => ai !== '10');
  return `https://id.gs1.org/${parsed.primaryKey}/${keyValue}${qualifiers.map(([ai, v]) => `/${ai}/${v}`).join('')}`;
}

function aiOf(segment: string): string {
  return SHORT_NAMES[segment] ?? segment;
}

function safeDecode(s: string): string | null {
  // Only percent escapes change under decoding (and only they can be malformed).
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** GS1 mod-10 check digit over all digits but the last. */
function hasValidCheckDigit(digits: string): boolean {
  return checkDigit(digits.slice(0, -1)) === digits[digits.length - 1];
}

function checkDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

function withCheckDigit(digits: string): string {
  return digits + checkDigit(digits);
}

/** GTIN-14 from an EPC company prefix and item reference (whose first digit is the indicator). */
function gtinFrom(companyPrefix: string, itemRef: string): string {
  return withCheckDigit(itemRef[0] + companyPrefix + itemRef.slice(1));
}
