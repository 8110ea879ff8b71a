import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AUTH_CONFIG, type AuthConfig } from './auth.config';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import type { AccountEntity } from './account.entity';
import { AccountRepository } from './account.repository';
import { Authenticator } from './authenticator';
import { LoginThrottle } from './login-throttle/login-throttle.service';
import { DigestSealer, hashPassword, sha256Hex, verifyPassword } from './password-hasher';
import type { Principal } from './principal';
import { type IssuedToken, TokenService } from './token.service';

export const DIGEST_SEALER = Symbol('DIGEST_SEALER');

/** An operator's view of an enterprise's sign-in account. */
export interface EnterpriseAccountView {
  enterpriseId: string;
  username: string;
  status: AccountEntity['status'];
  lockedUntil: string | null;
}

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly accounts: AccountRepository,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    private readonly authenticator: Authenticator,
    private readonly events: EventHub,
    @InjectDataSource() private readonly dataSource: DataSource,
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

  /** The native login: the plain password. One throttled attempt (see LoginThrottle). */
  async loginWithPassword(username: string, password: string): Promise<IssuedToken> {
    const account = await this.throttle.attempt(username, () => this.checkPassword(username, password), badCredentials);
    await this.resealIfStale(account, password);
    return this.issueFor(account);
  }

  /**
   * SNMS digest login: password = sha256(sha256(pwd) + 'yyyy-MM-dd'). The date is the caller's
   * day; both the China Standard Time day and the UTC day are accepted.
   */
  async loginWithDigest(username: string, digest: string): Promise<IssuedToken> {
    const account = await this.throttle.attempt(username, () => this.checkDigest(username, digest), badCredentials);
    return this.issueFor(account);
  }

  /** `/identity/token`: the plain password, or else the digest; one attempt either way. */
  async loginSnms(username: string, password: string): Promise<IssuedToken> {
    const account = await this.throttle.attempt(
      username,
      async () => {
        const plain = await this.checkPassword(username, password);
        if (plain) await this.resealIfStale(plain, password);
        return plain ?? (/^[0-9a-fA-F]{64}$/.test(password) ? this.checkDigest(username, password) : undefined);
      },
      badCredentials,
    );
    return this.issueFor(account);
  }

  /**
   * A signed-in person changes their own password (not with an API key): the current one is
   * checked as a sign-in attempt would be, and every token issued before stops working. Returns
   * a token for the new password.
   */
  async changePassword(caller: Principal, currentPassword: string, newPassword: string): Promise<IssuedToken> {
    if (caller.apiKeyId !== undefined) throw new DomainError('FORBIDDEN', 'an API key has no password; sign in with the account to change it');
    if (newPassword === currentPassword) {
      throw new DomainError('VALIDATION_FAILED', 'the new password must differ from the current one', [{ path: '/newPassword', message: 'is the current password' }]);
    }
    const account = await this.accounts.findById(caller.accountId);
    if (!account || account.status !== 'active') throw new DomainError('AUTHENTICATION_REQUIRED', 'the account of this token is disabled');
    await this.throttle.attempt(
      account.username,
      async () => ((await verifyPassword(currentPassword, account.passwordHash)) ? true : undefined),
      () => new DomainError('VALIDATION_FAILED', 'the current password is wrong', [{ path: '/currentPassword', message: 'is wrong' }]),
    );
    const version = await this.replacePassword(account, newPassword, 'account.password-change', account.username);
    return this.tokens.issue(principalOf(account), version);
  }

  /**
   * An operator resets an enterprise's password: a new random one, shown once in the reply, every
   * older token refused, and the sign-in lock lifted.
   */
  async resetEnterprisePassword(operator: Principal, enterpriseId: string): Promise<{ username: string; temporaryPassword: string }> {
    const account = await this.enterpriseAccount(enterpriseId);
    const temporaryPassword = randomBytes(12).toString('base64url');
    await this.replacePassword(account, temporaryPassword, 'account.password-reset', operator.username);
    await this.throttle.unlock(account.username);
    return { username: account.username, temporaryPassword };
  }

  /** An operator lifts a sign-in lock of an enterprise's account. */
  async unlockEnterprise(operator: Principal, enterpriseId: string): Promise<{ username: string; wasLocked: boolean }> {
    const account = await this.enterpriseAccount(enterpriseId);
    const wasLocked = (await this.throttle.lockedUntil(account.username)) !== null;
    await this.throttle.unlock(account.username);
    await this.events.emit('audit.recorded', {
      entry: { action: 'account.unlock', target: `account:${account.username}`, owner: enterpriseId, outcome: 'ok', after: { wasLocked, by: operator.username } },
    });
    return { username: account.username, wasLocked };
  }

  async enterpriseAccountView(enterpriseId: string): Promise<EnterpriseAccountView> {
    const account = await this.enterpriseAccount(enterpriseId);
    const lockedUntil = await this.throttle.lockedUntil(account.username);
    return { enterpriseId, username: account.username, status: account.status, lockedUntil: lockedUntil ? lockedUntil.toISOString() : null };
  }

  private async enterpriseAccount(enterpriseId: string): Promise<AccountEntity> {
    const account = await this.accounts.findEnterpriseAccount(enterpriseId);
    if (!account) throw new DomainError('ENTERPRISE_NOT_FOUND', `enterprise ${enterpriseId} not found`);
    return account;
  }

  /** Stores a new password and moves the token version on, in one transaction with its audit entry. */
  private async replacePassword(account: AccountEntity, password: string, action: string, by: string): Promise<number> {
    const passwordHash = await hashPassword(password);
    const version = await this.dataSource.transaction(async (manager) => {
      const next = await this.accounts.setPassword(manager, account.id, passwordHash, this.sealer.seal(password));
      await this.events.emit('audit.recorded', {
        manager,
        entry: { action, target: `account:${account.username}`, owner: account.enterpriseId ?? undefined, outcome: 'ok', after: { tokenVersion: next, by } },
      });
      return next;
    });
    this.authenticator.forgetAccount(account.id);
    return version;
  }

  /** The account when the password is right; undefined otherwise (unknown users cost the same scrypt work). */
  private async checkPassword(username: string, password: string): Promise<AccountEntity | undefined> {
    const account = await this.accounts.findByUsername(username);
    if (!account) {
      // Spend the same scrypt work as for a known user, so response times do not reveal which usernames exist.
      await verifyPassword(password, await this.dummyHash());
      return undefined;
    }
    return (await verifyPassword(password, account.passwordHash)) ? account : undefined;
  }

  private async checkDigest(username: string, digest: string): Promise<AccountEntity | undefined> {
    const account = await this.accounts.findByUsername(username);
    const inner = account ? this.sealer.unseal(account.passwordDigestSealed) : undefined;
    if (!account || inner === undefined) return undefined;
    const now = Date.now();
    const days = new Set([isoDay(now + 8 * 3600_000), isoDay(now)]);
    const given = digest.toLowerCase();
    return [...days].some((day) => sha256Hex(inner + day) === given) ? account : undefined;
  }

  private async resealIfStale(account: AccountEntity, password: string): Promise<void> {
    if (this.sealer.unseal(account.passwordDigestSealed) === undefined) {
      // The node secret changed since the digest was sealed: reseal now that the password is known.
      await this.accounts.updateDigest(account.id, this.sealer.seal(password));
    }
  }

  private issueFor(account: AccountEntity): IssuedToken {
    if (account.status !== 'active') throw new DomainError('FORBIDDEN', 'this account is disabled');
    return this.tokens.issue(principalOf(account), account.tokenVersion);
  }

  private dummyHashPromise: Promise<string> | undefined;

  private dummyHash(): Promise<string> {
    this.dummyHashPromise ??= hashPassword(randomBytes(16).toString('base64url'));
    return this.dummyHashPromise;
  }
}

function principalOf(account: AccountEntity): Principal {
  return { accountId: account.id, username: account.username, role: account.role, enterpriseId: account.enterpriseId };
}

function badCredentials(): DomainError {
  return new DomainError('INVALID_CREDENTIALS', 'unknown username or wrong password');
}

function isoDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
