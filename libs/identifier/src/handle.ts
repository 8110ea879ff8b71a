import { IdentifierError } from './errors';
import {
  asciiLower,
  codePointCount,
  findControlCharacter,
  findLoneSurrogate,
  formatCodePoint,
  quote,
  utf8Bytes,
} from './text';

/** SNMS `handle` limit (idis-domain §2.3), counted in UTF-8 bytes because that is what goes on the wire. */
export const MAX_HANDLE_BYTES = 255;
/** SNMS `prefix` limit (idis-domain §2.3). */
export const MAX_PREFIX_BYTES = 64;

export interface ParsedHandle {
  /** The input, spelled exactly as given. */
  handle: string;
  prefix: string;
  suffix: string;
  /** ASCII-lower-cased handle: the case-insensitive lookup key (no Unicode folding, per RFC 3651 §2). */
  key: string;
  /** ASCII-lower-cased prefix. */
  prefixKey: string;
}

export interface ParsedPrefix {
  prefix: string;
  prefixKey: string;
  segments: string[];
}

export type ParseHandleResult = { ok: true; value: ParsedHandle } | { ok: false; error: IdentifierError };

const PREFIX_SEGMENT_CHAR = /[A-Za-z0-9_-]/;
/** Printable ASCII only: no control character, no surrogate, one UTF-8 byte per character. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** A well-formed prefix (dot-separated non-empty segments of the allowed characters). */
const WELL_FORMED_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Parses `<prefix>/<suffix>`. The prefix ends at the first '/'; the suffix may contain further '/'
 * (RFC 3651 LocalName). Nothing is trimmed: spaces belong to the suffix.
 */
export function parseHandle(input: string): ParsedHandle {
  if (input.length === 0) throw new IdentifierError('EMPTY', 'handle is empty');

  const slash = input.indexOf('/');
  // The common case (every resolution pays it): printable ASCII, a well-formed prefix, a suffix.
  // Same checks as below, in two regular expressions; anything else takes the long way for its message.
  if (slash > 0 && slash < input.length - 1 && input.length <= MAX_HANDLE_BYTES && slash <= MAX_PREFIX_BYTES && PRINTABLE_ASCII.test(input)) {
    const prefix = input.slice(0, slash);
    if (WELL_FORMED_PREFIX.test(prefix)) {
      const key = input.toLowerCase();
      return { handle: input, prefix, suffix: input.slice(slash + 1), key, prefixKey: key.slice(0, slash) };
    }
  }
  return parseHandleCarefully(input);
}

/** parseHandle character by character, with the message of the first rule broken (exported for its spec only). */
export function parseHandleCarefully(input: string): ParsedHandle {
  if (input.length === 0) throw new IdentifierError('EMPTY', 'handle is empty');

  const slash = input.indexOf('/');
  checkCharacters(input, (offset) =>
    slash < 0 ? ` (in ${quote(input)})` : ` (in the ${offset < slash ? 'prefix' : 'suffix'} of ${quote(input)})`,
  );

  const bytes = utf8Bytes(input);
  if (bytes > MAX_HANDLE_BYTES) {
    throw new IdentifierError('HANDLE_TOO_LONG', `handle is ${bytes} bytes in UTF-8; the limit is ${MAX_HANDLE_BYTES}`);
  }
  if (slash < 0) {
    throw new IdentifierError('MISSING_SLASH', `handle ${quote(input)} has no "/" between prefix and suffix`);
  }

  const prefix = input.slice(0, slash);
  const suffix = input.slice(slash + 1);
  if (prefix.length === 0) {
    throw new IdentifierError(
      'EMPTY_PREFIX_SEGMENT',
      `handle ${quote(input)} has an empty prefix (nothing before the first "/")`,
    );
  }
  checkPrefix(prefix);
  if (suffix.length === 0) {
    throw new IdentifierError('EMPTY_SUFFIX', `suffix of ${quote(input)} is empty (nothing after the first "/")`);
  }

  return { handle: input, prefix, suffix, key: asciiLower(input), prefixKey: asciiLower(prefix) };
}

export function tryParseHandle(input: string): ParseHandleResult {
  try {
    return { ok: true, value: parseHandle(input) };
  } catch (error) {
    if (error instanceof IdentifierError) return { ok: false, error };
    throw error;
  }
}

/** Validates a prefix on its own, e.g. a `?prefix=` query parameter or a prefix being registered. */
export function parsePrefix(input: string): ParsedPrefix {
  if (input.length === 0) throw new IdentifierError('EMPTY', 'prefix is empty');
  checkCharacters(input, () => ` (in prefix ${quote(input)})`);
  const segments = checkPrefix(input);
  return { prefix: input, prefixKey: asciiLower(input), segments };
}

export function formatHandle(parts: { prefix: string; suffix: string }): string {
  return `${parts.prefix}/${parts.suffix}`;
}

/** ASCII-only lower-casing; every other character is left untouched. */
export function handleLookupKey(s: string): string {
  return asciiLower(s);
}

export function isDirectlyUnder(prefixKey: string, parsed: ParsedHandle): boolean {
  return parsed.prefixKey === prefixKey;
}

/** True when `childKey` is a derived prefix of `parentKey` (88.118.8 of 88.118), at any depth; not for equal keys. */
export function isDerivedPrefix(parentKey: string, childKey: string): boolean {
  return childKey.startsWith(`${parentKey}.`);
}

function checkCharacters(input: string, where: (offset: number) => string): void {
  const surrogate = findLoneSurrogate(input);
  if (surrogate) {
    throw new IdentifierError(
      'INVALID_UNICODE',
      `character ${surrogate.codePoint} at position ${surrogate.position} is an unpaired UTF-16 surrogate, ` +
        `which is not valid Unicode${where(surrogate.offset)}`,
    );
  }
  const control = findControlCharacter(input);
  if (control) {
    throw new IdentifierError(
      'CONTROL_CHARACTER',
      `character ${control.codePoint} at position ${control.position} is a control character${where(control.offset)}`,
    );
  }
}

function checkPrefix(prefix: string): string[] {
  const segments = prefix.split('.');
  let start = 0;
  segments.forEach((segment, i) => {
    if (segment.length === 0) {
      throw new IdentifierError('EMPTY_PREFIX_SEGMENT', `prefix segment ${i + 1} of ${quote(prefix)} is empty`);
    }
    for (const ch of segment) {
      if (!PREFIX_SEGMENT_CHAR.test(ch)) {
        const position = codePointCount(prefix.slice(0, start + segment.indexOf(ch)));
        const shown = `${JSON.stringify(ch)} (${formatCodePoint(ch.codePointAt(0)!)})`;
        throw new IdentifierError(
          'INVALID_PREFIX_CHARACTER',
          `character ${shown} at position ${position} of prefix ${quote(prefix)} is not allowed; ` +
            'prefix segments may contain only ASCII letters, digits, "-" and "_"',
        );
      }
    }
    start += segment.length + 1;
  });
  const bytes = utf8Bytes(prefix);
  if (bytes > MAX_PREFIX_BYTES) {
    throw new IdentifierError('PREFIX_TOO_LONG', `prefix ${quote(prefix)} is ${bytes} bytes; the limit is ${MAX_PREFIX_BYTES}`);
  }
  return segments;
}
