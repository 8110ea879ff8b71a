// Internal string helpers shared by handle.ts and value.ts; not part of the public API.

/** C0 controls, DEL and C1 controls. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface CharacterHit {
  /** UTF-16 offset into the string. */
  offset: number;
  /** 0-based position counted in code points, which is what a person reading the string sees. */
  position: number;
  /** The offending code point as `U+XXXX`. */
  codePoint: string;
}

function hit(s: string, re: RegExp): CharacterHit | undefined {
  const m = re.exec(s);
  if (!m) return undefined;
  const offset = m.index;
  return { offset, position: codePointCount(s.slice(0, offset)), codePoint: formatCodePoint(s.charCodeAt(offset)) };
}

export function findLoneSurrogate(s: string): CharacterHit | undefined {
  return hit(s, LONE_SURROGATE);
}

export function findControlCharacter(s: string): CharacterHit | undefined {
  return hit(s, CONTROL_CHARACTER);
}

export function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Lower-cases A-Z only: Handle case-insensitivity is ASCII folding, never Unicode folding. */
export function asciiLower(s: string): string {
  // For pure ASCII, toLowerCase folds exactly A-Z; anything else keeps its non-ASCII characters untouched.
  if (ASCII_ONLY.test(s)) return s.toLowerCase();
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** A short, escaped rendering of a string for error messages. */
export function quote(s: string, max = 80): string {
  const shown = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(shown);
}
