import type { EnvReader } from '@idis/runtime';

/** Operator reports (reports/): the calendar they count in, and the bound of their exports. */
export interface ReportsConfig {
  /**
   * STATS_TIME_ZONE: the IANA time zone whose calendar months a monthly report covers (default
   * Asia/Shanghai: a Chinese secondary node reports in Beijing time, whatever its servers run in).
   * The same variable sets the statistics' reporting day and month, so the report's month and the
   * console's "this month" are one calendar.
   */
  timeZone: string;
}

export const DEFAULT_REPORT_TIME_ZONE = 'Asia/Shanghai';

export function readReportsConfig(read: EnvReader): ReportsConfig {
  const timeZone = read.string('STATS_TIME_ZONE', DEFAULT_REPORT_TIME_ZONE);
  if (!isTimeZone(timeZone)) {
    read.problem(`STATS_TIME_ZONE must be an IANA time zone such as Asia/Shanghai or UTC, got "${timeZone.slice(0, 64)}"`);
    return { timeZone: DEFAULT_REPORT_TIME_ZONE };
  }
  return { timeZone };
}

/** Known to this Node's ICU (and spelt as PostgreSQL spells zone names: letters, digits, _ + - /). */
function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const REPORTS_CONFIG = Symbol('REPORTS_CONFIG');
