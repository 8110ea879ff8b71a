import { checkWritableSuffix, IdentifierError, type ParsedHandle, parseHandle, parsePrefix, ValueError } from '@idis/identifier';
import { DomainError } from '../errors/domain-errors';

/** parseHandle, with the library's error turned into the domain's INVALID_HANDLE. */
export function parseHandleOrThrow(text: string): ParsedHandle {
  try {
    return parseHandle(text);
  } catch (error) {
    throw asDomainError(error);
  }
}

/** parseHandleOrThrow for a create or update: a suffix with a "." or ".." path segment is refused too. */
export function parseWritableHandleOrThrow(text: string): ParsedHandle {
  const parsed = parseHandleOrThrow(text);
  try {
    checkWritableSuffix(parsed.suffix);
  } catch (error) {
    throw asDomainError(error);
  }
  return parsed;
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

export const HANDLES_PATH = '/api/handles/';

/** Everything after /api/handles/ is the identifier, slashes included (clients send it unencoded). */
export function handleFromPath(url: string): string {
  if (!url.startsWith(HANDLES_PATH)) return '';
  const query = url.indexOf('?', HANDLES_PATH.length);
  const raw = query < 0 ? url.slice(HANDLES_PATH.length) : url.slice(HANDLES_PATH.length, query);
  // Most identifiers arrive without a percent-escape: nothing to decode (every resolution pays this).
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new DomainError('INVALID_HANDLE', 'the handle in the path is not valid percent-encoded UTF-8');
  }
}

/** A value index given in the query (?index=): 1 to 2^32-1. */
export function indexFromQuery(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > 4294967295) {
    throw new DomainError('VALIDATION_FAILED', `index must be an integer from 1 to 4294967295, got "${raw}"`);
  }
  return Number(raw);
}
