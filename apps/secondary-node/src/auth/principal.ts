import type { Role } from './account.entity';
import type { ApiKeyScope } from './api-keys/api-key-scope';

/** Who is calling, as proven by a bearer token or an API key. */
export interface Principal {
  accountId: string;
  username: string;
  role: Role;
  enterpriseId: string | null;
  /**
   * Set when the caller is an enterprise's API key (not a signed-in person): its id, for the rate
   * limiter and the audit log. `keyScope` then says what the key may do, and where.
   */
  apiKeyId?: string;
  keyScope?: ApiKeyScope;
}

export interface TokenClaims {
  sub: string;
  usr: string;
  role: Role;
  ent: string | null;
  /**
   * The account's token version when the token was issued. A password change, a reset or a
   * deactivation moves the version on, and older tokens are refused. Absent in tokens issued
   * before versions existed: they count as version 0.
   */
  ver?: number;
}
