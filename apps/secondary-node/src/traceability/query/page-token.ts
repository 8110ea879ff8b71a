import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../errors/domain-errors';

/** Where the previous page ended: keyset position on (event_time or record_time, event_id). */
export interface PagePosition {
  /** the order column's value (event_time, or record_time with orderBy=recordTime) as PostgreSQL wrote it, UTC with microseconds: exact, unlike a JS Date */
  eventTime: string;
  eventId: string;
  /** events already returned by the earlier pages (counted against eventCountLimit) */
  count?: number;
}

interface TokenBody {
  v: 1;
  /** digest of the query the token continues: a token is not valid for another query */
  q: string;
  t: string;
  i: string;
  /** expiry, epoch seconds */
  x: number;
  /** events returned so far, when the query has an eventCountLimit */
  n?: number;
}

export const PAGE_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * nextPageToken = base64url(JSON position) "." base64url(HMAC-SHA256). Signed with a key derived from
 * the node secret, so replicas sharing JWT_SECRET accept each other's tokens, and a forged or edited
 * token is refused (400) instead of moving the cursor somewhere arbitrary.
 */
export class PageTokens {
  private readonly key: Buffer;

  constructor(nodeSecret: string) {
    this.key = createHmac('sha256', nodeSecret).update('idis:epcis-next-page-token:v1').digest();
  }

  issue(queryDigest: string, position: PagePosition, nowMs = Date.now()): { token: string; expiresAt: Date } {
    const expiresAt = Math.floor(nowMs / 1000) + PAGE_TOKEN_TTL_SECONDS;
    const body: TokenBody = { v: 1, q: queryDigest, t: position.eventTime, i: position.eventId, x: expiresAt };
    if (position.count !== undefined) body.n = position.count;
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    return { token: `${payload}.${this.sign(payload)}`, expiresAt: new Date(expiresAt * 1000) };
  }

  read(token: string, queryDigest: string, nowMs = Date.now()): PagePosition {
    const [payload, signature, extra] = token.split('.');
    if (extra !== undefined || !payload || !signature || !safeEqual(signature, this.sign(payload))) throw refused('is not a token this node issued');
    let body: TokenBody;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenBody;
    } catch {
      throw refused('is not a token this node issued');
    }
    if (body.v !== 1 || typeof body.t !== 'string' || typeof body.i !== 'string' || typeof body.x !== 'number') throw refused('is not a token this node issued');
    if (body.n !== undefined && (typeof body.n !== 'number' || !Number.isInteger(body.n) || body.n < 0)) throw refused('is not a token this node issued');
    if (body.q !== queryDigest) throw refused('belongs to a different query; repeat the query parameters of the page that gave it');
    if (body.x * 1000 <= nowMs) throw refused('has expired; run the query again from its first page');
    return body.n === undefined ? { eventTime: body.t, eventId: body.i } : { eventTime: body.t, eventId: body.i, count: body.n };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** A stable digest of whatever defines the result set (filters and the resource queried), not the page size. */
export function queryDigest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refused(why: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `query parameter nextPageToken ${why}`, [{ path: 'nextPageToken', message: why }]);
}
