import { Injectable } from '@nestjs/common';
import { type ApiKeyOperation, keyScopeProblem } from '../auth/api-keys/api-key-scope';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { type PrefixStanding, PrefixRepository } from './prefix.repository';

/** Who may write or read privately under which enterprise prefix. */
@Injectable()
export class PrefixAccessService {
  constructor(private readonly prefixes: PrefixRepository) {}

  /**
   * For each prefix key: undefined when the caller may write under it, otherwise the error to report.
   * One query whatever the number of prefixes (a batch may span several). `operation`: what an
   * API key caller must be allowed there (undefined: something no key may do).
   */
  async writeProblems(caller: Principal, prefixKeys: string[], operation?: ApiKeyOperation): Promise<Map<string, DomainError | undefined>> {
    const standings = await this.prefixes.standings([...new Set(prefixKeys)]);
    const result = new Map<string, DomainError | undefined>();
    for (const key of prefixKeys) result.set(key, writeProblem(caller, key, standings.get(key)) ?? keyScopeProblem(caller, operation, key));
    return result;
  }

  async assertWritable(caller: Principal, prefixKey: string, operation?: ApiKeyOperation): Promise<PrefixStanding> {
    const standing = (await this.prefixes.standings([prefixKey])).get(prefixKey);
    const problem = writeProblem(caller, prefixKey, standing) ?? keyScopeProblem(caller, operation, prefixKey);
    if (problem) throw problem;
    return standing as PrefixStanding;
  }

  /** Whether the caller sees values without public read permission under this prefix. */
  async canReadPrivate(caller: Principal | undefined, prefixKey: string): Promise<boolean> {
    if (!caller) return false;
    if (caller.role === 'operator') return true;
    // An API key sees private values only under the prefixes it was scoped to.
    if (caller.keyScope && !caller.keyScope.prefixes.includes(prefixKey)) return false;
    const standing = (await this.prefixes.standings([prefixKey])).get(prefixKey);
    return standing !== undefined && standing.enterpriseId !== null && standing.enterpriseId === caller.enterpriseId;
  }
}

function writeProblem(caller: Principal, prefixKey: string, standing: PrefixStanding | undefined): DomainError | undefined {
  if (!standing) return new DomainError('PREFIX_NOT_FOUND', `prefix ${prefixKey} is not served by this node`);
  if (caller.role !== 'operator' && standing.enterpriseId !== caller.enterpriseId) {
    return new DomainError('PREFIX_NOT_OWNED', `prefix ${standing.prefix} belongs to another enterprise`);
  }
  if (standing.status !== 'active') {
    return new DomainError('PREFIX_NOT_OWNED', `prefix ${standing.prefix} is not active (it is ${standing.status.replace('_', ' ')})`);
  }
  if (!standing.enterpriseActive) return new DomainError('PREFIX_NOT_OWNED', `the enterprise owning prefix ${standing.prefix} is suspended`);
  return undefined;
}
