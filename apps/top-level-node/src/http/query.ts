import { type QueryRefusal, QueryReader, type QueryValue } from '@idis/runtime';
import { invalid } from '../errors/top-level-errors';

export type { QueryValue } from '@idis/runtime';

/** The top level's wording of a refused query parameter (INVALID_INPUT), quoting at most 40 characters of it. */
function refusalError(refusal: QueryRefusal): Error {
  const { name } = refusal;
  switch (refusal.reason) {
    case 'repeated':
      return invalid(`query parameter ${name} is given ${refusal.count} times`);
    case 'integer':
      return invalid(`${name} must be an integer from ${refusal.min} to ${refusal.max}, got ${JSON.stringify(refusal.raw.slice(0, 40))}`);
    case 'boolean':
      return invalid(`${name} must be true or false, got ${JSON.stringify(refusal.raw.slice(0, 40))}`);
    case 'one-of':
      return invalid(`${name} must be one of ${refusal.allowed.join(', ')}, got ${JSON.stringify(refusal.raw.slice(0, 40))}`);
  }
}

const reader = new QueryReader({ refuse: refusalError, integerSyntax: /^\d{1,9}$/ });

/** One value of a query parameter, undefined when absent or empty; repeated parameters are refused. */
export function single(query: Record<string, QueryValue>, name: string): string | undefined {
  const value = reader.single(name, query[name]);
  return value === '' ? undefined : value;
}

/** A misspelt parameter (`?pageSzie=10`) would silently give the default; refuse every name not in `allowed`. */
export function knownParams(query: Record<string, QueryValue>, allowed: readonly string[]): void {
  const unknown = Object.keys(query ?? {}).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((n) => JSON.stringify(n.slice(0, 40)));
    if (unknown.length > 5) named.push(`and ${unknown.length - 5} more`);
    const expected = allowed.length > 0 ? `expected ${allowed.join(', ')}` : 'this route takes none';
    throw invalid(`unknown query parameter ${named.join(', ')}; ${expected}`);
  }
}

export function integerParam(query: Record<string, QueryValue>, name: string, fallback: number, min: number, max: number): number {
  return reader.integer(name, query[name], { min, max, fallback });
}

export function booleanParam(query: Record<string, QueryValue>, name: string): boolean | undefined {
  return reader.boolean(name, query[name]);
}

export function oneOfParam<T extends string>(query: Record<string, QueryValue>, name: string, allowed: readonly T[]): T | undefined {
  return reader.oneOf(name, query[name], allowed);
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
