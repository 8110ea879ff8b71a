import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccountEntity, type Role } from './account.entity';

@Injectable()
export class AccountRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findByUsername(username: string): Promise<AccountEntity | null> {
    return this.dataSource.getRepository(AccountEntity).findOne({ where: { username } });
  }

  async usernameTaken(username: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return (await manager.getRepository(AccountEntity).count({ where: { username } })) > 0;
  }

  async hasOperator(): Promise<boolean> {
    return (await this.dataSource.getRepository(AccountEntity).count({ where: { role: 'operator' } })) > 0;
  }

  /** Inserts unless the username exists; returns whether a row was created (safe with several replicas). */
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
}
