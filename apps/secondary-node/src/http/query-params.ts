import { type QueryRefusal, QueryReader, type QueryValue } from '@idis/runtime';
import { DomainError } from '../errors/domain-errors';

export { queryList, type QueryValue } from '@idis/runtime';

/** The node's wording of a refused query parameter (every front door shows it as VALIDATION_FAILED). */
function refusalError(refusal: QueryRefusal): DomainError {
  const { name } = refusal;
  switch (refusal.reason) {
    case 'repeated':
      return new DomainError('VALIDATION_FAILED', `query parameter ${name} may be given only once`);
    case 'integer': {
      const expected = `must be an integer from ${refusal.min} to ${refusal.max}`;
      return new DomainError('VALIDATION_FAILED', `query parameter ${name} ${expected}, got "${refusal.raw}"`, [{ path: name, message: expected }]);
    }
    case 'boolean':
      return new DomainError('VALIDATION_FAILED', `query parameter ${name} must be true or false, got "${refusal.raw}"`);
    case 'one-of':
      return new DomainError('VALIDATION_FAILED', `query parameter ${name} must be one of ${refusal.allowed.join(', ')}, got "${refusal.raw}"`);
  }
}

/** Query strings arrive as string | string[] | undefined; these read them strictly with clear errors. */
const reader = new QueryReader({ refuse: refusalError });

export function querySingle(name: string, value: QueryValue): string | undefined {
  return reader.single(name, value);
}

export function queryInteger(name: string, value: QueryValue, options: { min: number; max: number; fallback: number }): number {
  return reader.integer(name, value, options);
}

/** Handle.Net style booleans: a bare `?flag` means true. */
export function queryBoolean(name: string, value: QueryValue): boolean | undefined {
  return reader.boolean(name, value);
}

export function queryEnum<T extends string>(name: string, value: QueryValue, allowed: readonly T[]): T | undefined {
  return reader.oneOf(name, value, allowed);
}
