import Ajv, { type ErrorObject, type JSONSchemaType, type Schema, type ValidateFunction } from 'ajv';
import { DomainError, type FieldProblem } from '../errors/domain-errors';

/**
 * Request bodies are checked against JSON Schemas compiled once with Ajv: unknown fields, wrong types
 * and out-of-range values are refused with the path of the offending field. The same schemas feed
 * the OpenAPI document, so the documentation cannot drift from what is enforced.
 */
const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false });
ajv.addFormat('email', /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{1,63}$/);

export type BodyValidator<T> = (input: unknown) => T;

export function compileSchema<T>(schema: JSONSchemaType<T> | Schema, what = 'request body'): BodyValidator<T> {
  const validate = ajv.compile(schema) as ValidateFunction<T>;
  return (input: unknown): T => {
    if (validate(input)) return input;
    const problems = describeAjvErrors(validate.errors ?? []);
    throw new DomainError('VALIDATION_FAILED', `${what} is invalid: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`, problems);
  };
}

/** Same check as compileSchema but reporting the problems instead of throwing (for per-item batch results). */
export function compileChecker(schema: Schema): (input: unknown) => FieldProblem[] {
  const validate = ajv.compile(schema);
  return (input: unknown): FieldProblem[] => (validate(input) ? [] : describeAjvErrors(validate.errors ?? []));
}

function describeAjvErrors(errors: ErrorObject[]): FieldProblem[] {
  return errors.slice(0, 20).map((error) => {
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return { path: `${error.instancePath}/${extra}`, message: 'is not an allowed field' };
    }
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { path: `${error.instancePath}/${missing}`, message: 'is required' };
    }
    return { path: error.instancePath, message: error.message ?? 'is invalid' };
  });
}
