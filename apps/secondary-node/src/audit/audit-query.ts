import { DomainError } from '../errors/domain-errors';
import { querySingle, type QueryValue, queryEnum, queryInteger } from '../http/query-params';
import type { AuditFilter } from './audit.repository';
import { AUDIT_MAX_PAGE, type AuditQuery } from './audit.service';

export const AUDIT_QUERY_PARAMETERS = ['from', 'to', 'actor', 'action', 'target', 'owner', 'outcome', 'limit', 'cursor', 'format'] as const;

/** Text filters: bounded, and no control characters (PostgreSQL refuses NUL; none belongs in a filter). */
const TEXT_LIMITS = { actor: 128, action: 64, target: 512, owner: 128 } as const;

export interface ParsedAuditQuery extends AuditQuery {
  format: 'json' | 'csv';
}

/**
 * Reads the query string of GET /api/v1/audit strictly: an unknown or repeated parameter, a bad
 * time, an over-long or control-character filter, a limit out of range or a cursor that is not
 * a row number is refused with a clear 400.
 */
export function parseAuditQuery(query: Record<string, QueryValue>, accept: string | undefined): ParsedAuditQuery {
  const unknown = Object.keys(query ?? {}).filter((name) => !(AUDIT_QUERY_PARAMETERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new DomainError('VALIDATION_FAILED', `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected ${AUDIT_QUERY_PARAMETERS.join(', ')}`);
  }
  const filter: Omit<AuditFilter, 'scope'> = {
    from: time('from', query.from),
    to: time('to', query.to),
    actor: text('actor', query.actor, TEXT_LIMITS.actor),
    action: text('action', query.action, TEXT_LIMITS.action),
    target: text('target', query.target, TEXT_LIMITS.target),
    owner: text('owner', query.owner, TEXT_LIMITS.owner),
    outcome: queryEnum('outcome', query.outcome, ['ok', 'refused'] as const),
  };
  if (filter.from && filter.to && filter.from >= filter.to) throw new DomainError('VALIDATION_FAILED', 'from must be before to');
  const cursor = querySingle('cursor', query.cursor);
  if (cursor !== undefined && !/^[1-9][0-9]{0,17}$/.test(cursor)) {
    throw new DomainError('VALIDATION_FAILED', `cursor must be the nextCursor of a previous page, got "${cursor.slice(0, 40)}"`);
  }
  const format = queryEnum('format', query.format, ['json', 'csv'] as const) ?? (accept !== undefined && /\btext\/csv\b/i.test(accept) ? 'csv' : 'json');
  const limit = queryInteger('limit', query.limit, { min: 1, max: format === 'csv' ? 1_000_000 : AUDIT_MAX_PAGE, fallback: format === 'csv' ? 1_000_000 : 100 });
  return { filter: dropUndefined(filter), cursor, limit, format };
}

function time(name: string, value: QueryValue): Date | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new DomainError('VALIDATION_FAILED', `${name} must be an ISO 8601 date or date-time with an offset, got "${raw.slice(0, 40)}"`);
  return date;
}

function text(name: string, value: QueryValue, max: number): string | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined) return undefined;
  if (raw.length === 0 || [...raw].length > max) throw new DomainError('VALIDATION_FAILED', `${name} must be 1 to ${max} characters long`);
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new DomainError('VALIDATION_FAILED', `${name} must not contain control characters`);
  return raw;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
