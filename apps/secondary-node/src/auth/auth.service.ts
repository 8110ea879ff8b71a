import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AUTH_CONFIG, type AuthConfig } from './auth.config';
import { DomainError } from '../errors/domain-errors';
import type { AccountEntity } from './account.entity';
import { AccountRepository } from './account.repository';
import { DigestSealer, hashPassword, sha256Hex, verifyPassword } from './password-hasher';
import type { Principal } from './principal';
import { type IssuedToken, TokenService } from './token.service';

export const DIGEST_SEALER = Symbol('DIGEST_SEALER');

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly accounts: AccountRepository,
    private readonly tokens: TokenService,
    @Inject(DIGEST_SEALER) private readonly sealer: DigestSealer,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /** Creates the operator account on first start: password from OPERATOR_PASSWORD, or generated and printed once. */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.accounts.hasOperator()) return;
    const password = this.config.operatorPassword ?? randomBytes(12).toString('base64url');
    const created = await this.accounts.insertIfAbsent({
      username: this.config.operatorUsername,
      passwordHash: await hashPassword(password),
      passwordDigestSealed: this.sealer.seal(password),
      role: 'operator',
      enterpriseId: null,
    });
    if (created && this.config.operatorPassword === undefined) {
      // Printed once, on the console only: it is not stored anywhere in clear.
      process.stdout.write(`\n  Operator account created: username "${this.config.operatorUsername}", password "${password}"\n  (set OPERATOR_PASSWORD to choose it; it will not be shown again)\n\n`);
    } else if (created) {
      this.logger.log(`operator account "${this.config.operatorUsername}" created`);
    }
  }

  async loginWithPassword(username: string, password: string): Promise<IssuedToken> {
    const account = await this.accounts.findByUsername(username);
    if (!account) {
      // Spend the same scrypt work as for a known user, so response times do not reveal which usernames exist.
      await verifyPassword(password, await this.dummyHash());
      throw this.badCredentials();
    }
    if (!(await verifyPassword(password, account.passwordHash))) throw this.badCredentials();
    if (this.sealer.unseal(account.passwordDigestSealed) === undefined) {
      // The node secret changed since the digest was sealed: reseal now that the password is known.
      await this.accounts.updateDigest(account.id, this.sealer.seal(password));
    }
    return this.issueFor(account);
  }

  /**
   * SNMS digest login: password = sha256(sha256(pwd) + 'yyyy-MM-dd'). The date is the caller's
   * day; both the China Standard Time day and the UTC day are accepted.
   */
  async loginWithDigest(username: string, digest: string): Promise<IssuedToken> {
    const account = await this.accounts.findByUsername(username);
    const inner = account ? this.sealer.unseal(account.passwordDigestSealed) : undefined;
    if (!account || inner === undefined) throw this.badCredentials();
    const now = Date.now();
    const days = new Set([isoDay(now + 8 * 3600_000), isoDay(now)]);
    const given = digest.toLowerCase();
    if (![...days].some((day) => sha256Hex(inner + day) === given)) throw this.badCredentials();
    return this.issueFor(account);
  }

  private issueFor(account: AccountEntity): IssuedToken {
    if (account.status !== 'active') throw new DomainError('FORBIDDEN', 'this account is disabled');
    const principal: Principal = { accountId: account.id, username: account.username, role: account.role, enterpriseId: account.enterpriseId };
    return this.tokens.issue(principal);
  }

  private dummyHashPromise: Promise<string> | undefined;

  private dummyHash(): Promise<string> {
    this.dummyHashPromise ??= hashPassword(randomBytes(16).toString('base64url'));
    return this.dummyHashPromise;
  }

  private badCredentials(): DomainError {
    return new DomainError('INVALID_CREDENTIALS', 'unknown username or wrong password');
  }
}

function isoDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
