import { Injectable } from '@nestjs/common';
import { assertKeyMay, keyReadablePrefixes } from '../../auth/api-keys/api-key-scope';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { GrantsRepository } from './grants.repository';

/** What a caller may read: every event, or the events stored under these enterprise prefixes. */
export type VisiblePrefixes = 'all' | string[];

/**
 * Who may read traceability events:
 * - operators read everything;
 * - an enterprise reads the events stored under its own prefixes, plus those of enterprises that granted its account;
 * - a partner reads the events of the enterprises that granted it, nothing else;
 * - anonymous callers read nothing (401).
 * Computed per request from the database, so a new grant or a revocation takes effect at once.
 */
@Injectable()
export class TraceabilityAccess {
  constructor(private readonly grants: GrantsRepository) {}

  async visiblePrefixes(principal: Principal | undefined): Promise<VisiblePrefixes> {
    if (!principal) throw new DomainError('AUTHENTICATION_REQUIRED', 'traceability data needs a bearer token');
    if (principal.role === 'operator') return 'all';
    assertKeyMay(principal, 'read-events');
    const readable = await this.grants.readablePrefixes(principal.accountId, principal.role === 'enterprise' ? principal.enterpriseId : null);
    // An API key reads only under the prefixes it was scoped to (never what others granted its enterprise).
    return keyReadablePrefixes(principal, readable);
  }

  /**
   * Like visiblePrefixes, but refuses (403) a caller who may read nothing at all: a partner no enterprise
   * has granted yet. Queries then never answer "no events" when the truth is "not allowed".
   */
  async readableScope(principal: Principal | undefined): Promise<VisiblePrefixes> {
    const visible = await this.visiblePrefixes(principal);
    if (visible !== 'all' && visible.length === 0) {
      throw new DomainError('FORBIDDEN', 'no enterprise has granted this account access to its traceability events');
    }
    return visible;
  }
}

export function isVisible(visible: VisiblePrefixes, enterprisePrefix: string): boolean {
  return visible === 'all' || visible.includes(enterprisePrefix);
}
