/**
 * ISO 8601 / RFC 3339 date-times as EPCIS uses them: a full date and time with seconds, optional fraction and a
 * mandatory offset (`Z` or `±hh:mm`).
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export const EVENT_TIME_ZONE_OFFSET = /^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$/;

/**
 * Epoch milliseconds of the instant, the fraction rounded half-up to whole milliseconds (CBV 2.0 hash rule:
 * `…03.1415Z` → `…03.142Z`); null when the text is not a valid date-time with an offset.
 */
export function parseDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (m[9] === '-' ? -1 : 1);
  }
  const fraction = (m[7] ?? '').padEnd(4, '0');
  const millis = Number(fraction.slice(0, 3)) + (Number(fraction[3]) >= 5 ? 1 : 0);
  const local = Date.UTC(year, month - 1, day, hour, minute, second) + millis;
  const epochMs = local - offsetMinutes * 60_000;
  return Number.isFinite(epochMs) ? epochMs : null;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`: UTC with exactly millisecond precision. */
export function formatUtcMillis(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
