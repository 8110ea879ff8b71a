import { IdentifierError, type ParsedHandle, parseHandle, parsePrefix, ValueError } from '@idis/identifier';
import { DomainError } from '../errors/domain-errors';

/** parseHandle, with the library's error turned into the domain's INVALID_HANDLE. */
export function parseHandleOrThrow(text: string): ParsedHandle {
  try {
    return parseHandle(text);
  } catch (error) {
    throw asDomainError(error);
  }
}

export function parsePrefixOrThrow(text: string): ReturnType<typeof parsePrefix> {
  try {
    return parsePrefix(text);
  } catch (error) {
    throw asDomainError(error);
  }
}

export function asDomainError(error: unknown): DomainError {
  if (error instanceof IdentifierError) return new DomainError('INVALID_HANDLE', error.message);
  if (error instanceof ValueError) return new DomainError('INVALID_VALUE', error.path ? `${error.path}: ${error.message}` : error.message, [{ path: error.path, message: error.message }]);
  if (error instanceof DomainError) return error;
  throw error;
}

/** ISO 8601 UTC to the second, the timestamp form of Handle values. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
