import type { VolumeItem } from './types';

export const VOLUME_METRICS = ['resolutions', 'registrations', 'notFound', 'errors'] as const;
export type VolumeMetric = (typeof VOLUME_METRICS)[number];

const DAY_MS = 86_400_000;

/** The `from`/`to` query of the last `days` UTC days, today included: `to` is tomorrow 00:00 UTC. */
export function lastDays(days: number, now: Date): { from: string; to: string } {
  const tomorrow = Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS;
  return { from: isoDay(tomorrow - days * DAY_MS), to: isoDay(tomorrow) };
}

/** Every UTC day from `from` (included) to `to` (excluded), as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += DAY_MS) days.push(isoDay(t));
  return days;
}

export interface VolumeSeries {
  nodeId: string;
  /** One value per day of `days`, 0 where the node reported nothing. */
  values: number[];
  total: number;
}

/**
 * The chart's data: one series per node (largest total first, then by id, so colours stay put
 * between refreshes of equal data), one value per day; days without a report are 0, rows outside
 * `days` are ignored.
 */
export function volumeSeries(items: readonly VolumeItem[], metric: VolumeMetric, days: readonly string[]): VolumeSeries[] {
  const column = new Map(days.map((day, i) => [day, i]));
  const byNode = new Map<string, number[]>();
  for (const item of items) {
    const i = column.get(item.day);
    if (i === undefined) continue;
    let values = byNode.get(item.nodeId);
    if (!values) byNode.set(item.nodeId, (values = days.map(() => 0)));
    values[i] += item[metric];
  }
  return [...byNode.entries()]
    .map(([nodeId, values]) => ({ nodeId, values, total: values.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
