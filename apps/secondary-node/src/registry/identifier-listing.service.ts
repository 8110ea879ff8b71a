import { Injectable } from '@nestjs/common';
import type { HandleJsonValue, ParsedHandle } from '@idis/identifier';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { parsePrefixOrThrow } from '../http/identifier-input';
import { IdentifierRepository } from './identifier.repository';
import {
  containsPattern,
  type IdentifierSearch,
  keyRanges,
  MAX_COUNTED,
  recordTextPattern,
  VALUE_SCAN_LIMIT,
} from './identifier-search';
import { PrefixRepository } from './prefix.repository';

export interface IdentifierFilter {
  prefix?: string;
  /** The suffix starts with this (ASCII case ignored). */
  suffix?: string;
  /** Some string value's text contains this (case ignored). */
  value?: string;
}

export interface IdentifierListItem {
  handle: string;
  prefix: string;
  suffix: string;
  templateVersion: string | null;
  values: Array<Pick<HandleJsonValue, 'index' | 'type' | 'data'>>;
  updatedAt: string;
}

export interface IdentifierPage {
  items: IdentifierListItem[];
  /** Matches, counted up to MAX_COUNTED (`totalCapped` when there are more). */
  total: number;
  totalCapped: boolean;
  /** With `value`: some prefix in scope holds more than VALUE_SCAN_LIMIT identifiers and only its first ones (in handle order) were searched. */
  valueScanLimited: boolean;
  page: number;
  pageSize: number;
}

/** A stored identifier the caller may print: its spelling as registered, split. */
export interface OwnedIdentifier {
  handle: string;
  prefix: string;
  suffix: string;
}

/** At most this many unknown handles are named one by one in a refusal. */
const NAMED_IN_REFUSAL = 20;

/**
 * What an enterprise (its own prefixes) or an operator (every prefix) may see of the identifiers
 * registered here: the console's searchable listing, and the ownership check of QR codes and
 * label sheets, where another enterprise's identifier is as unknown as a missing one.
 */
@Injectable()
export class IdentifierListingService {
  constructor(
    private readonly identifiers: IdentifierRepository,
    private readonly prefixes: PrefixRepository,
  ) {}

  /** One page (1-based) of the caller's identifiers matching `filter`, in handle (key) order. */
  async list(caller: Principal, filter: IdentifierFilter, page: number, pageSize: number): Promise<IdentifierPage> {
    const offset = (page - 1) * pageSize;
    if (offset >= MAX_COUNTED) {
      throw new DomainError('VALIDATION_FAILED', `pages reach the first ${MAX_COUNTED} matches only (page ${page} of ${pageSize} starts after them); narrow the search with prefix, suffix or value`, [
        { path: 'page', message: `at most ${Math.ceil(MAX_COUNTED / pageSize)} with pageSize ${pageSize}` },
      ]);
    }
    const prefixKeys = await this.scope(caller, filter);
    const empty: IdentifierPage = { items: [], total: 0, totalCapped: false, valueScanLimited: false, page, pageSize };
    if (prefixKeys !== undefined && prefixKeys.length === 0) return empty;
    const search: IdentifierSearch = {
      ranges: prefixKeys === undefined ? undefined : keyRanges(prefixKeys, filter.suffix),
      value: filter.value === undefined ? undefined : { pattern: containsPattern(filter.value), recordTextPattern: recordTextPattern(filter.value), scanLimit: VALUE_SCAN_LIMIT },
    };
    const count = await this.identifiers.searchCount(search, MAX_COUNTED);
    const rows = count.total > offset ? await this.identifiers.searchPage(search, offset, Math.min(pageSize, count.total - offset)) : [];
    return {
      ...empty,
      items: rows.map((row) => ({
        ...split(row.handle),
        templateVersion: row.templateVersion,
        values: row.values.map((value) => ({ index: value.index, type: value.type, data: value.data })),
        updatedAt: row.updatedAt.toISOString(),
      })),
      total: count.total,
      totalCapped: count.capped,
      valueScanLimited: count.scanLimited,
    };
  }

  /**
   * The stored identifiers of `handles` (in their order), when every one exists and lies under a
   * prefix of the caller's enterprise (any, for an operator). Otherwise HANDLE_NOT_FOUND naming
   * those that do not: another enterprise's identifier is reported exactly as a missing one.
   */
  async ownedByCaller(caller: Principal, handles: ParsedHandle[]): Promise<OwnedIdentifier[]> {
    const found = await this.identifiers.findWithOwner([...new Set(handles.map((h) => h.key))]);
    const visible = (key: string) => {
      const row = found.get(key);
      return row !== undefined && (caller.role === 'operator' || (caller.enterpriseId !== null && row.enterpriseId === caller.enterpriseId)) ? row : undefined;
    };
    const unknown = handles.map((parsed, position) => ({ parsed, position })).filter(({ parsed }) => visible(parsed.key) === undefined);
    if (unknown.length > 0) {
      const named = unknown.slice(0, NAMED_IN_REFUSAL).map(({ parsed }) => parsed.handle);
      const more = unknown.length > named.length ? ` and ${unknown.length - named.length} more` : '';
      throw new DomainError(
        'HANDLE_NOT_FOUND',
        handles.length === 1 ? `identifier ${handles[0].handle} not found` : `${unknown.length} of the identifiers were not found: ${named.join(', ')}${more}`,
        unknown.slice(0, NAMED_IN_REFUSAL).map(({ position }) => ({ path: `/handles/${position}`, message: 'not found' })),
      );
    }
    return handles.map((parsed) => split((visible(parsed.key) as { handle: string }).handle));
  }

  /**
   * The prefix keys the listing covers: the caller's own (an enterprise), the one asked for, or
   * undefined for everything (an operator without prefix).
   */
  private async scope(caller: Principal, filter: IdentifierFilter): Promise<string[] | undefined> {
    const asked = filter.prefix === undefined ? undefined : prefixKeyOf(filter.prefix);
    if (caller.role === 'operator') {
      if (asked === undefined) {
        if (filter.suffix !== undefined) {
          throw new DomainError('VALIDATION_FAILED', 'suffix searches one prefix at a time for an operator: give prefix as well', [{ path: 'prefix', message: 'is required with suffix' }]);
        }
        return undefined;
      }
      if (!(await this.prefixes.standings([asked])).has(asked)) throw new DomainError('PREFIX_NOT_FOUND', `prefix ${filter.prefix} is not served by this node`);
      return [asked];
    }
    if (caller.enterpriseId === null) return [];
    const own = (await this.prefixes.listForEnterprise(caller.enterpriseId)).filter((p) => p.status !== 'pending_review').map((p) => p.prefixKey);
    if (asked === undefined) return own;
    if (own.includes(asked)) return [asked];
    if ((await this.prefixes.standings([asked])).has(asked)) throw new DomainError('PREFIX_NOT_OWNED', `prefix ${filter.prefix} belongs to another enterprise`);
    throw new DomainError('PREFIX_NOT_FOUND', `prefix ${filter.prefix} is not served by this node`);
  }
}

function prefixKeyOf(prefix: string): string {
  try {
    return parsePrefixOrThrow(prefix).prefixKey;
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `query parameter prefix is invalid: ${(error as Error).message}`, [{ path: 'prefix', message: (error as Error).message }]);
  }
}

/** Prefix and suffix of a stored handle (the prefix ends at the first "/"). */
function split(handle: string): OwnedIdentifier {
  const slash = handle.indexOf('/');
  return { handle, prefix: handle.slice(0, slash), suffix: handle.slice(slash + 1) };
}
