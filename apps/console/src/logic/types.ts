/** The node's API as the shell reads it; each area keeps the types of the endpoints it calls. */

export type Role = 'operator' | 'enterprise' | 'partner';

/** GET /api/v1/auth/me */
export interface Me {
  accountId: string;
  username: string;
  role: Role;
  enterpriseId: string | null;
  apiKey: boolean;
}

/** POST /api/v1/auth/token */
export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export type { Page } from '@idis/console-kit/usePaged';
