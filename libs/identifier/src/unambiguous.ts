import { IdentifierError } from './errors';
import { type ParsedPrefix, parsePrefix } from './handle';
import { quote } from './text';

/**
 * A prefix about to be assigned (applied for, filed, enrolled). Parsing stays tolerant for
 * resolution, but a new assignment must not look like another one: `88.118.08` would be read as
 * `88.118.8` by anyone who compares numbers, so a segment that starts with "0" must be "0" alone.
 * (Case look-alikes cannot arise: prefixes are compared ASCII-case-insensitively.)
 */
export function parseAssignablePrefix(input: string): ParsedPrefix {
  const parsed = parsePrefix(input);
  parsed.segments.forEach((segment, i) => {
    if (segment.length > 1 && segment.startsWith('0')) {
      throw new IdentifierError(
        'LOOK_ALIKE_PREFIX',
        `prefix segment ${i + 1} of ${quote(input)} (${quote(segment)}) has a leading zero; ` +
          'it would look like another prefix, write it without leading zeros',
      );
    }
  });
  return parsed;
}

/**
 * Why a suffix cannot be written, or null: a "." or ".." path segment (between "/") is collapsed
 * by browsers and proxies (RFC 3986 §5.2.4), so the proxy URL of such an identifier would name
 * another one.
 */
export function dotSegmentProblem(suffix: string): string | null {
  const segments = suffix.split('/');
  const index = segments.findIndex((segment) => segment === '.' || segment === '..');
  if (index < 0) return null;
  return (
    `suffix ${quote(suffix)} has a ${quote(segments[index])} path segment (segment ${index + 1} between "/"), ` +
    'which browsers and proxies collapse; use another suffix'
  );
}

/** dotSegmentProblem as an IdentifierError, for callers that parse by throwing. */
export function checkWritableSuffix(suffix: string): void {
  const problem = dotSegmentProblem(suffix);
  if (problem) throw new IdentifierError('DOT_SEGMENT', problem);
}
