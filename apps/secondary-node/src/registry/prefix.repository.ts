import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { EnterprisePrefixEntity, type PrefixStatus } from './entities/enterprise-prefix.entity';

export interface PrefixStanding {
  prefixKey: string;
  prefix: string;
  status: PrefixStatus;
  enterpriseId: string | null;
  enterpriseActive: boolean;
}

@Injectable()
export class PrefixRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Status and owner of each given prefix that exists on this node (one query for a whole batch). */
  async standings(prefixKeys: string[]): Promise<Map<string, PrefixStanding>> {
    const rows: Array<{ prefix_key: string; prefix: string; status: PrefixStatus; enterprise_id: string | null; enterprise_active: boolean | null }> =
      await this.dataSource.query(
        `SELECT p.prefix_key, p.prefix, p.status, p.enterprise_id, (e.status = 'active') AS enterprise_active
           FROM enterprise_prefixes p LEFT JOIN enterprises e ON e.id = p.enterprise_id
          WHERE p.prefix_key = ANY($1::text[])`,
        [prefixKeys],
      );
    return new Map(
      rows.map((row) => [
        row.prefix_key,
        { prefixKey: row.prefix_key, prefix: row.prefix, status: row.status, enterpriseId: row.enterprise_id, enterpriseActive: row.enterprise_active === true },
      ]),
    );
  }

  /** Reserves a requested prefix; false if it is already taken or requested by someone else. */
  async reserve(manager: EntityManager, prefix: { prefixKey: string; prefix: string; applicationId: string }): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(EnterprisePrefixEntity)
      .values({ ...prefix, status: 'pending_review', enterpriseId: null })
      .orIgnore()
      .returning('prefix_key')
      .execute();
    return result.raw.length > 0;
  }

  async assignAndSetStatus(manager: EntityManager, applicationId: string, enterpriseId: string, status: PrefixStatus): Promise<void> {
    await manager.getRepository(EnterprisePrefixEntity).update({ applicationId }, { enterpriseId, status });
  }

  async setStatusForApplication(manager: EntityManager, applicationId: string, status: PrefixStatus): Promise<void> {
    await manager.getRepository(EnterprisePrefixEntity).update({ applicationId }, { status });
  }

  /** The top level refused the filing: the prefix becomes free again. */
  async releaseFiledForApplication(manager: EntityManager, applicationId: string): Promise<void> {
    await manager.getRepository(EnterprisePrefixEntity).delete({ applicationId, status: 'filing' });
  }

  async releaseForApplication(manager: EntityManager, applicationId: string): Promise<void> {
    await manager.getRepository(EnterprisePrefixEntity).delete({ applicationId, status: 'pending_review' });
  }

  /** Disables every active prefix of the enterprise (it stops being served); returns those disabled. */
  async disableActiveOfEnterprise(manager: EntityManager, enterpriseId: string): Promise<Array<{ prefixKey: string; prefix: string; applicationId: string }>> {
    const result: unknown[] = await manager.query(
      `UPDATE enterprise_prefixes SET status = 'disabled', updated_at = now() WHERE enterprise_id = $1 AND status = 'active'
       RETURNING prefix_key, prefix, application_id`,
      [enterpriseId],
    );
    // The pg driver answers an UPDATE … RETURNING with [rows, affected count].
    const updated = (Array.isArray(result[0]) ? result[0] : result) as Array<{ prefix_key: string; prefix: string; application_id: string }>;
    return updated.map((row) => ({ prefixKey: row.prefix_key, prefix: row.prefix, applicationId: row.application_id }));
  }

  /**
   * Keys of every prefix an operator has approved, whatever its state since (filing, active,
   * disabled): the prefixes this node has assigned. Pending applications are left out: anyone may
   * apply, so they must not grow anything keyed by prefix.
   */
  async listAssignedKeys(): Promise<string[]> {
    const rows: Array<{ prefix_key: string }> = await this.dataSource.query(`SELECT prefix_key FROM enterprise_prefixes WHERE status <> 'pending_review'`);
    return rows.map((row) => row.prefix_key);
  }

  /** The organisation name of the enterprise that owns the prefix (null: no such prefix, or not yet assigned). */
  async ownerOrgName(prefixKey: string): Promise<string | null> {
    const rows: Array<{ org_name: string }> = await this.dataSource.query(
      `SELECT e.org_name FROM enterprise_prefixes p JOIN enterprises e ON e.id = p.enterprise_id WHERE p.prefix_key = $1`,
      [prefixKey],
    );
    return rows[0]?.org_name ?? null;
  }

  listActive(): Promise<EnterprisePrefixEntity[]> {
    return this.dataSource.getRepository(EnterprisePrefixEntity).find({ where: { status: 'active' }, order: { prefixKey: 'ASC' } });
  }

  listForEnterprise(enterpriseId: string, manager: EntityManager = this.dataSource.manager): Promise<EnterprisePrefixEntity[]> {
    return manager.getRepository(EnterprisePrefixEntity).find({ where: { enterpriseId }, order: { prefixKey: 'ASC' } });
  }
}
