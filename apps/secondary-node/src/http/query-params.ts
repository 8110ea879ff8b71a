import { DomainError } from '../errors/domain-errors';

/** Query strings arrive as string | string[] | undefined; these read them strictly with clear errors. */
export type QueryValue = string | string[] | undefined;

export function queryList(value: QueryValue): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function querySingle(name: string, value: QueryValue): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw new DomainError('VALIDATION_FAILED', `query parameter ${name} may be given only once`);
    return value[0];
  }
  return value;
}

export function queryInteger(name: string, value: QueryValue, options: { min: number; max: number; fallback: number }): number {
  const raw = querySingle(name, value);
  if (raw === undefined || raw === '') return options.fallback;
  if (!/^-?\d{1,10}$/.test(raw) || Number(raw) < options.min || Number(raw) > options.max) {
    throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must be an integer from ${options.min} to ${options.max}, got "${raw}"`, [
      { path: name, message: `must be an integer from ${options.min} to ${options.max}` },
    ]);
  }
  return Number(raw);
}

/** Handle.Net style booleans: a bare `?flag` means true. */
export function queryBoolean(name: string, value: QueryValue): boolean | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined) return undefined;
  if (raw === '' || raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must be true or false, got "${raw}"`);
}

export function queryEnum<T extends string>(name: string, value: QueryValue, allowed: readonly T[]): T | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}
