/**
 * ISO 8601 / RFC 3339 date-times as EPCIS uses them: a full date and time with seconds, optional fraction and a
 * mandatory offset (`Z` or `±hh:mm`).
 */

export const EVENT_TIME_ZONE_OFFSET = /^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$/;

/**
 * Epoch milliseconds of the instant, the fraction rounded half-up to whole milliseconds (CBV 2.0 hash rule:
 * `…03.1415Z` → `…03.142Z`); null when the text is not a valid date-time with an offset.
 *
 * The accepted syntax is `YYYY-MM-DD[Tt]hh:mm:ss[.f+]([Zz]|[+-]hh:mm)` with ASCII digits only; it is read
 * character by character (every event time is parsed once by validation and once by the hash).
 */
export function parseDateTime(text: string): number | null {
  const n = text.length;
  if (n < 20) return null;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  const t = text.charCodeAt(10);
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || (t !== 0x54 && t !== 0x74)) return null;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return null;

  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 0x2e) {
    const start = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i += 1;
    if (i === start) return null;
    // The first three digits (padded with zeros) are the milliseconds; the fourth rounds half-up.
    const digit = (k: number) => (start + k < i ? text.charCodeAt(start + k) - 0x30 : 0);
    millis = digit(0) * 100 + digit(1) * 10 + digit(2) + (digit(3) >= 5 ? 1 : 0);
  }

  let offsetMinutes = 0;
  const zone = text.charCodeAt(i);
  if (zone === 0x5a || zone === 0x7a) {
    if (i + 1 !== n) return null;
  } else if (zone === 0x2b || zone === DASH) {
    if (i + 6 !== n || text.charCodeAt(i + 3) !== COLON) return null;
    const offsetHours = digitsAt(text, i + 1, 2);
    const offsetMins = digitsAt(text, i + 4, 2);
    if (offsetHours < 0 || offsetMins < 0 || offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (zone === DASH ? -1 : 1);
  } else {
    return null;
  }

  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second) + millis;
  const epochMs = local - offsetMinutes * 60_000;
  return Number.isFinite(epochMs) ? epochMs : null;
}

const DASH = 0x2d;
const COLON = 0x3a;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The number written by `count` ASCII digits at `at`, or -1 when any of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k += 1) {
    const code = text.charCodeAt(at + k);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 0x30);
  }
  return value;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`: UTC with exactly millisecond precision. */
export function formatUtcMillis(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
