import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { firstRows } from '../account.repository';
import { ApiKeyEntity } from './api-key.entity';

/** What authenticating a key needs, read by its secret's hash. */
export interface KeyForAuth {
  id: string;
  enterpriseId: string;
  prefixes: string[];
  operations: string[];
  createdBy: string;
  createdByAccountId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Serialises key creation per enterprise, so the limit on active keys holds with several replicas. */
  async lockEnterprise(manager: EntityManager, enterpriseId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`api-keys:${enterpriseId}`]);
  }

  async countActive(manager: EntityManager, enterpriseId: string): Promise<number> {
    const rows: Array<{ n: string }> = await manager.query(
      `SELECT count(*) AS n FROM api_keys WHERE enterprise_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [enterpriseId],
    );
    return Number(rows[0].n);
  }

  insert(manager: EntityManager, key: Omit<ApiKeyEntity, 'id' | 'createdAt' | 'revokedAt' | 'revokedBy' | 'lastUsedAt'>): Promise<ApiKeyEntity> {
    const repository = manager.getRepository(ApiKeyEntity);
    return repository.save(repository.create({ ...key, revokedAt: null, revokedBy: null, lastUsedAt: null }));
  }

  /**
   * Which of `prefixKeys` belong to the enterprise, with their spelling. auth imports no registry
   * code: it reads the prefix table by its plain enterprise id column, as it stores it.
   */
  async ownedPrefixes(enterpriseId: string, prefixKeys: string[]): Promise<Map<string, string>> {
    const rows: Array<{ prefix_key: string; prefix: string }> = await this.dataSource.query(
      `SELECT prefix_key, prefix FROM enterprise_prefixes WHERE enterprise_id = $1 AND prefix_key = ANY($2::text[])`,
      [enterpriseId, prefixKeys],
    );
    return new Map(rows.map((row) => [row.prefix_key, row.prefix]));
  }

  /** Newest first. */
  async page(enterpriseId: string, limit: number, offset: number): Promise<{ total: number; items: ApiKeyEntity[] }> {
    const [items, total] = await this.dataSource.getRepository(ApiKeyEntity).findAndCount({
      where: { enterpriseId },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { total, items };
  }

  findForAuth(secretHash: string): Promise<KeyForAuth | null> {
    return this.dataSource.getRepository(ApiKeyEntity).findOne({
      where: { secretHash },
      select: { id: true, enterpriseId: true, prefixes: true, operations: true, createdBy: true, createdByAccountId: true, expiresAt: true, revokedAt: true },
    });
  }

  /** Revokes one key of this enterprise (another enterprise's key id finds nothing). */
  async revoke(manager: EntityManager, enterpriseId: string, keyId: string, by: string): Promise<{ found: boolean; revoked?: { secretHash: string } }> {
    const result: unknown = await manager.query(
      `UPDATE api_keys SET revoked_at = now(), revoked_by = $3 WHERE enterprise_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING secret_hash`,
      [enterpriseId, keyId, by],
    );
    const rows = firstRows<{ secret_hash: string }>(result);
    if (rows.length > 0) return { found: true, revoked: { secretHash: rows[0].secret_hash } };
    const existing: unknown[] = await manager.query(`SELECT 1 FROM api_keys WHERE enterprise_id = $1 AND id = $2`, [enterpriseId, keyId]);
    return { found: existing.length > 0 };
  }

  async revokeAllOf(manager: EntityManager, enterpriseId: string, by: string): Promise<Array<{ id: string; secretHash: string }>> {
    const result: unknown = await manager.query(
      `UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE enterprise_id = $1 AND revoked_at IS NULL RETURNING id, secret_hash`,
      [enterpriseId, by],
    );
    return firstRows<{ id: string; secret_hash: string }>(result).map((row) => ({ id: row.id, secretHash: row.secret_hash }));
  }

  /** Records a use, unless one was recorded in the last minute (by any replica). */
  async touch(keyId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [keyId],
    );
  }
}
