import type { Role } from './account.entity';

/** Who is calling, as proven by a bearer token. */
export interface Principal {
  accountId: string;
  username: string;
  role: Role;
  enterpriseId: string | null;
}

export interface TokenClaims {
  sub: string;
  usr: string;
  role: Role;
  ent: string | null;
}
