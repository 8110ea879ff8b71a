import { Injectable } from '@nestjs/common';
import type { HandleJsonValue } from '@idis/identifier';
import { IdentifierRepository } from '../identifier.repository';
import { PrefixRepository } from '../prefix.repository';
import { type HandleIdentity, identityPrefixKey, PREFIX_IDENTITY_INDEX } from './handle-identity';

/** The value type that holds an identity's credential: a secret (Basic) or a public key (challenge–response). */
export type CredentialType = 'HS_SECKEY' | 'HS_PUBKEY';

export interface ResolvedIdentity {
  enterpriseId: string;
  /** The credential values at the identity's index (at any index when it is 0), lowest index first; none for `0.NA/<prefix>`. */
  values: HandleJsonValue[];
}

/**
 * Which enterprise a handle identity speaks for (README "Handle.Net REST authentication"):
 *
 * - `N:<prefix>/<suffix>`: the handle must exist on this node and hold a value of the credential's
 *   type at index N; its prefix must be active and belong to an active enterprise. Only that
 *   enterprise can write under its prefix, so only it can create such an identity.
 * - `300:0.NA/<prefix>`: the prefix handle itself (it lives at the top level, not here): the owner
 *   of <prefix>, for Basic only, since no key is stored behind it.
 */
@Injectable()
export class HandleIdentityService {
  constructor(
    private readonly prefixes: PrefixRepository,
    private readonly identifiers: IdentifierRepository,
  ) {}

  async resolve(identity: HandleIdentity, credential: CredentialType): Promise<ResolvedIdentity | undefined> {
    const prefixKey = identityPrefixKey(identity);
    const standing = (await this.prefixes.standings([prefixKey])).get(prefixKey);
    if (!standing || standing.enterpriseId === null || standing.status !== 'active' || !standing.enterpriseActive) return undefined;
    if (identity.kind === 'prefix') {
      const known = identity.index === PREFIX_IDENTITY_INDEX || identity.index === 0;
      return known && credential === 'HS_SECKEY' ? { enterpriseId: standing.enterpriseId, values: [] } : undefined;
    }
    const record = await this.identifiers.findByKey(identity.handle.key);
    if (!record) return undefined;
    const values = record.values
      .filter((v) => asciiUpper(v.type) === credential && (identity.index === 0 || v.index === identity.index))
      .sort((a, b) => a.index - b.index);
    return values.length === 0 ? undefined : { enterpriseId: standing.enterpriseId, values };
  }
}

/** Handle types compare ASCII case-insensitively, without Unicode folding (RFC 3651 §2). */
function asciiUpper(text: string): string {
  return text.replace(/[a-z]/g, (c) => c.toUpperCase());
}
