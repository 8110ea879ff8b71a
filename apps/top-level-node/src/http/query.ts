import { invalid } from '../errors/top-level-errors';

export type QueryValue = string | string[] | undefined;

/** One value of a query parameter; repeated parameters are refused. */
export function single(query: Record<string, QueryValue>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalid(`query parameter ${name} is given ${value.length} times`);
  return value === undefined || value === '' ? undefined : value;
}

export function integerParam(query: Record<string, QueryValue>, name: string, fallback: number, min: number, max: number): number {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

export function oneOfParam<T extends string>(query: Record<string, QueryValue>, name: string, allowed: readonly T[]): T | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw invalid(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw.slice(0, 40))}`);
  return raw as T;
}

export function dateParam(query: Record<string, QueryValue>, name: string, fallback: Date): Date {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw invalid(`${name} must be an ISO 8601 date such as 2026-11-03 or 2026-11-03T10:00:00Z`);
  return date;
}

export function nodeIdParam(query: Record<string, QueryValue>, name: string): string | undefined {
  const raw = single(query, name);
  if (raw !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(raw)) throw invalid(`${name} must be a node id (1-64 characters of [A-Za-z0-9._-])`);
  return raw;
}
