/** A query-string parameter as Fastify hands it over: absent, given once, or given more than once. */
export type QueryValue = string | string[] | undefined;

/** Why a parameter was refused. The app words it and picks the error to throw (`QueryReaderOptions.refuse`). */
export type QueryRefusal =
  | { reason: 'repeated'; name: string; count: number }
  | { reason: 'integer'; name: string; raw: string; min: number; max: number }
  | { reason: 'one-of'; name: string; raw: string; allowed: readonly string[] }
  | { reason: 'boolean'; name: string; raw: string };

export interface QueryReaderOptions {
  /** The error thrown for a refused parameter, in the app's own error class and wording. */
  refuse(refusal: QueryRefusal): Error;
  /** What an integer must look like before its range is checked; by default an optional minus and 1 to 10 digits. */
  integerSyntax?: RegExp;
}

/** Every value of a parameter that may be repeated (`?index=1&index=2`), in order. */
export function queryList(value: QueryValue): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Reads query parameters strictly: a parameter is given at most once, and a value that does not
 * fit is refused with the app's error rather than ignored. An empty value (`?page=`) counts as
 * absent for integers and choices; `single` returns it as it is, since `?flag` means something.
 */
export class QueryReader {
  private readonly refuse: (refusal: QueryRefusal) => Error;
  private readonly integerSyntax: RegExp;

  constructor(options: QueryReaderOptions) {
    this.refuse = options.refuse;
    this.integerSyntax = options.integerSyntax ?? /^-?\d{1,10}$/;
  }

  /** The one value of a parameter ('' when given empty), undefined when absent. */
  single(name: string, value: QueryValue): string | undefined {
    if (!Array.isArray(value)) return value;
    if (value.length > 1) throw this.refuse({ reason: 'repeated', name, count: value.length });
    return value[0];
  }

  /** An integer from min to max, the fallback when absent or empty. */
  integer(name: string, value: QueryValue, options: { min: number; max: number; fallback: number }): number {
    const raw = this.single(name, value);
    if (raw === undefined || raw === '') return options.fallback;
    const { min, max } = options;
    if (!this.integerSyntax.test(raw) || Number(raw) < min || Number(raw) > max) throw this.refuse({ reason: 'integer', name, raw, min, max });
    return Number(raw);
  }

  /** Handle.Net style: a bare `?flag` (or true, 1) is true, false or 0 is false; undefined when absent. */
  boolean(name: string, value: QueryValue): boolean | undefined {
    const raw = this.single(name, value);
    if (raw === undefined) return undefined;
    if (raw === '' || raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw this.refuse({ reason: 'boolean', name, raw });
  }

  /** One of `allowed`, undefined when absent or empty. */
  oneOf<T extends string>(name: string, value: QueryValue, allowed: readonly T[]): T | undefined {
    const raw = this.single(name, value);
    if (raw === undefined || raw === '') return undefined;
    if (!(allowed as readonly string[]).includes(raw)) throw this.refuse({ reason: 'one-of', name, raw, allowed });
    return raw as T;
  }
}
