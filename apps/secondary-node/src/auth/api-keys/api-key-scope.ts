import { DomainError } from '../../errors/domain-errors';
import type { Principal } from '../principal';

/** What an API key may be allowed to do. */
export const API_KEY_OPERATIONS = ['register', 'update', 'delete', 'capture-events', 'read-events'] as const;
export type ApiKeyOperation = (typeof API_KEY_OPERATIONS)[number];

/** Where and what an API key may act: its enterprise's prefixes (lower-case keys) it was scoped to, and its operations. */
export interface ApiKeyScope {
  prefixes: readonly string[];
  operations: readonly ApiKeyOperation[];
}

const OPERATION_WORDS: Record<ApiKeyOperation, string> = {
  register: 'register identifiers',
  update: 'update identifiers',
  delete: 'delete identifiers',
  'capture-events': 'capture traceability events',
  'read-events': 'read traceability events',
};

/** Whether the caller is an API key allowed `operation` (anywhere in its prefixes). A signed-in person always is. */
export function keyMay(caller: Principal, operation: ApiKeyOperation): boolean {
  return caller.keyScope === undefined || caller.keyScope.operations.includes(operation);
}

/**
 * Why an API key may not do `operation` under `prefixKey` (undefined when it may, and always for a
 * signed-in person, whose rights the capability checks as before). `operation` undefined: the
 * action is none a key can be given (templates, grants, accounts) and keys are refused.
 */
export function keyScopeProblem(caller: Principal, operation: ApiKeyOperation | undefined, prefixKey?: string): DomainError | undefined {
  const scope = caller.keyScope;
  if (scope === undefined) return undefined;
  if (operation === undefined) return new DomainError('FORBIDDEN', 'an API key cannot do this; sign in with the enterprise account');
  if (!scope.operations.includes(operation)) {
    return new DomainError('FORBIDDEN', `this API key may not ${OPERATION_WORDS[operation]} (its operations: ${scope.operations.join(', ')})`);
  }
  if (prefixKey !== undefined && !scope.prefixes.includes(prefixKey.toLowerCase())) {
    return new DomainError('FORBIDDEN', `this API key may not act under prefix ${prefixKey} (it is scoped to ${scope.prefixes.join(', ')})`);
  }
  return undefined;
}

export function assertKeyMay(caller: Principal, operation: ApiKeyOperation | undefined, prefixKey?: string): void {
  const problem = keyScopeProblem(caller, operation, prefixKey);
  if (problem) throw problem;
}

/**
 * The part of `visible` (prefix keys and spellings an account may read) an API key may read:
 * only its own scoped prefixes, and only with `read-events`. A signed-in person keeps `visible`.
 */
export function keyReadablePrefixes(caller: Principal, visible: string[]): string[] {
  const scope = caller.keyScope;
  if (scope === undefined) return visible;
  if (!scope.operations.includes('read-events')) return [];
  return visible.filter((prefix) => scope.prefixes.includes(prefix.toLowerCase()));
}
