import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccountEntity, type Role } from './account.entity';

/**
 * Usernames are compared case-insensitively everywhere (`lower(username)`, backed by the unique
 * index uq_accounts_username_lower): "tools" and "Tools" are one name, so a grant or a sign-in can
 * never reach a look-alike account. The stored spelling is the one the account was created with.
 */
@Injectable()
export class AccountRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findByUsername(username: string, manager: EntityManager = this.dataSource.manager): Promise<AccountEntity | null> {
    return manager.getRepository(AccountEntity).createQueryBuilder('a').where('lower(a.username) = lower(:username)', { username }).getOne();
  }

  async usernameTaken(username: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return (await manager.getRepository(AccountEntity).createQueryBuilder('a').where('lower(a.username) = lower(:username)', { username }).getCount()) > 0;
  }

  async hasOperator(): Promise<boolean> {
    return (await this.dataSource.getRepository(AccountEntity).count({ where: { role: 'operator' } })) > 0;
  }

  /**
   * Inserts unless the username exists in any case (ON CONFLICT covers the case-insensitive unique
   * index too); returns whether a row was created (safe with several replicas).
   */
  async insertIfAbsent(account: {
    username: string;
    passwordHash: string;
    passwordDigestSealed: string;
    role: Role;
    enterpriseId: string | null;
  }, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(AccountEntity)
      .values(account)
      .orIgnore()
      .returning('id')
      .execute();
    return result.raw.length > 0;
  }

  /** An enterprise's accounts (normally one), oldest first; read by the Handle REST identity login. */
  findByEnterprise(enterpriseId: string, limit = 5): Promise<AccountEntity[]> {
    return this.dataSource.getRepository(AccountEntity).find({ where: { enterpriseId, role: 'enterprise' }, order: { createdAt: 'ASC' }, take: limit });
  }

  async updateDigest(id: string, passwordDigestSealed: string): Promise<void> {
    await this.dataSource.getRepository(AccountEntity).update({ id }, { passwordDigestSealed });
  }

  /** What the guard needs to know about an account behind a token: whether it may act, and which tokens are current. */
  async standing(id: string): Promise<{ status: AccountEntity['status']; tokenVersion: number } | null> {
    const rows: Array<{ status: AccountEntity['status']; token_version: number }> = await this.dataSource.query(
      `SELECT status, token_version FROM accounts WHERE id = $1`,
      [id],
    );
    return rows.length === 0 ? null : { status: rows[0].status, tokenVersion: rows[0].token_version };
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<AccountEntity | null> {
    return manager.getRepository(AccountEntity).findOne({ where: { id }, lock: lock ? { mode: 'pessimistic_write' } : undefined });
  }

  /** The sign-in account of an enterprise (there is one, created on approval). */
  findEnterpriseAccount(enterpriseId: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<AccountEntity | null> {
    return manager.getRepository(AccountEntity).findOne({ where: { enterpriseId, role: 'enterprise' }, lock: lock ? { mode: 'pessimistic_write' } : undefined });
  }

  /** A new password: every token issued before it stops working (the token version moves on). */
  async setPassword(manager: EntityManager, id: string, passwordHash: string, passwordDigestSealed: string): Promise<number> {
    const result: unknown = await manager.query(
      `UPDATE accounts SET password_hash = $2, password_digest_sealed = $3, token_version = token_version + 1, updated_at = now()
        WHERE id = $1 RETURNING token_version`,
      [id, passwordHash, passwordDigestSealed],
    );
    return firstRows<{ token_version: number }>(result)[0].token_version;
  }

  /** Disables every account of an enterprise and voids their tokens; returns the usernames disabled. */
  async disableEnterpriseAccounts(manager: EntityManager, enterpriseId: string): Promise<Array<{ id: string; username: string }>> {
    const result: unknown = await manager.query(
      `UPDATE accounts SET status = 'disabled', token_version = token_version + 1, updated_at = now()
        WHERE enterprise_id = $1 RETURNING id, username`,
      [enterpriseId],
    );
    return firstRows<{ id: string; username: string }>(result);
  }
}

/** pg answers an UPDATE … RETURNING through TypeORM's query() as [rows, count]. */
export function firstRows<T>(result: unknown): T[] {
  const rows = result as unknown[];
  return (Array.isArray(rows[0]) ? rows[0] : rows) as T[];
}
