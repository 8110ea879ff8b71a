import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

export interface GrantRow {
  id: string;
  enterpriseId: string;
  granteeAccountId: string;
  granteeUsername: string;
  granteeRole: string;
  granteeOrgName: string | null;
  grantedBy: string;
  createdAt: Date;
}

export interface PartnerRow {
  accountId: string;
  username: string;
  orgName: string;
  status: string;
  createdBy: string;
  createdAt: Date;
}

/** A grant as its grantee sees it: which enterprise, under which prefixes. */
export interface ReceivedGrantRow {
  id: string;
  enterpriseId: string;
  orgName: string;
  prefixes: string[];
  createdAt: Date;
}

interface RawGrant {
  id: string;
  enterprise_id: string;
  grantee_account_id: string;
  username: string;
  role: string;
  org_name: string | null;
  granted_by: string;
  created_at: Date;
}

const GRANT_COLUMNS = `g.id, g.enterprise_id, g.grantee_account_id, a.username, a.role,
       coalesce(pa.org_name, en.org_name) AS org_name, g.granted_by, g.created_at`;
const GRANT_JOINS = `JOIN accounts a ON a.id = g.grantee_account_id
  LEFT JOIN partners pa ON pa.account_id = a.id
  LEFT JOIN enterprises en ON en.id = a.enterprise_id`;

/** Partner accounts' organisations, grants, and the prefixes a caller may read events under. */
@Injectable()
export class GrantsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async enterpriseExists(enterpriseId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM enterprises WHERE id = $1`, [enterpriseId]);
    return rows.length > 0;
  }

  /**
   * Prefixes whose events the account may read besides operators' "everything": those of its own
   * enterprise (if any) and those of every enterprise that granted it. Both the stored key
   * (lower case) and the spelling are returned, so either form of enterprise_prefix matches.
   */
  async readablePrefixes(accountId: string, enterpriseId: string | null): Promise<string[]> {
    const rows: Array<{ prefix_key: string; prefix: string }> = await this.dataSource.query(
      `SELECT p.prefix_key, p.prefix FROM enterprise_prefixes p WHERE p.enterprise_id = $2
       UNION
       SELECT p.prefix_key, p.prefix FROM partner_grants g JOIN enterprise_prefixes p ON p.enterprise_id = g.enterprise_id
        WHERE g.grantee_account_id = $1`,
      [accountId, enterpriseId],
    );
    return [...new Set(rows.flatMap((row) => [row.prefix_key, row.prefix]))].sort();
  }

  /** Inserts a grant unless the same enterprise already granted the same account (then null). */
  async insertGrant(grant: { enterpriseId: string; granteeAccountId: string; grantedBy: string }, manager: EntityManager = this.dataSource.manager): Promise<GrantRow | null> {
    const inserted: Array<{ id: string }> = await manager.query(
      `INSERT INTO partner_grants (enterprise_id, grantee_account_id, granted_by) VALUES ($1, $2, $3)
       ON CONFLICT (enterprise_id, grantee_account_id) DO NOTHING RETURNING id`,
      [grant.enterpriseId, grant.granteeAccountId, grant.grantedBy],
    );
    if (inserted.length === 0) return null;
    return this.findGrant(grant.enterpriseId, inserted[0].id, manager);
  }

  async findGrant(enterpriseId: string, grantId: string, manager: EntityManager = this.dataSource.manager): Promise<GrantRow | null> {
    const rows: RawGrant[] = await manager.query(
      `SELECT ${GRANT_COLUMNS} FROM partner_grants g ${GRANT_JOINS} WHERE g.enterprise_id = $1 AND g.id = $2`,
      [enterpriseId, grantId],
    );
    return rows.length === 0 ? null : toGrant(rows[0]);
  }

  async listGrants(enterpriseId: string): Promise<GrantRow[]> {
    const rows: RawGrant[] = await this.dataSource.query(
      `SELECT ${GRANT_COLUMNS} FROM partner_grants g ${GRANT_JOINS} WHERE g.enterprise_id = $1 ORDER BY g.created_at, g.id`,
      [enterpriseId],
    );
    return rows.map(toGrant);
  }

  /** The grants an account holds, oldest first, with each grantor's organisation and assigned prefixes. */
  async listGrantsReceived(accountId: string): Promise<ReceivedGrantRow[]> {
    const rows: Array<{ id: string; enterprise_id: string; org_name: string; prefixes: string[]; created_at: Date }> = await this.dataSource.query(
      `SELECT g.id, g.enterprise_id, e.org_name, g.created_at,
              coalesce(array_agg(p.prefix ORDER BY p.prefix_key) FILTER (WHERE p.prefix IS NOT NULL AND p.status <> 'pending_review'), '{}') AS prefixes
         FROM partner_grants g JOIN enterprises e ON e.id = g.enterprise_id
         LEFT JOIN enterprise_prefixes p ON p.enterprise_id = g.enterprise_id
        WHERE g.grantee_account_id = $1
        GROUP BY g.id, e.org_name ORDER BY g.created_at, g.id`,
      [accountId],
    );
    return rows.map((row) => ({ id: row.id, enterpriseId: row.enterprise_id, orgName: row.org_name, prefixes: row.prefixes, createdAt: row.created_at }));
  }

  async deleteGrant(enterpriseId: string, grantId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`DELETE FROM partner_grants WHERE enterprise_id = $1 AND id = $2 RETURNING id`, [enterpriseId, grantId]);
    // pg returns [rows, count] for DELETE … RETURNING through TypeORM's query()
    const deleted = Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
    return deleted.length > 0;
  }

  async insertPartner(manager: EntityManager, partner: { accountId: string; orgName: string; createdBy: string }): Promise<void> {
    await manager.query(`INSERT INTO partners (account_id, org_name, created_by) VALUES ($1, $2, $3)`, [partner.accountId, partner.orgName, partner.createdBy]);
  }

  async accountIdOf(manager: EntityManager, username: string): Promise<string> {
    const rows: Array<{ id: string }> = await manager.query(`SELECT id FROM accounts WHERE lower(username) = lower($1)`, [username]);
    return rows[0].id;
  }

  async lockUsername(manager: EntityManager, username: string): Promise<void> {
    // The same lock name the enterprise applications use, so a partner cannot take a name an approval is creating.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`application:user:${username.toLowerCase()}`]);
  }

  async findPartner(accountId: string, manager: EntityManager = this.dataSource.manager): Promise<PartnerRow | null> {
    const rows: Array<{ account_id: string; username: string; org_name: string; status: string; created_by: string; created_at: Date }> = await manager.query(
      `SELECT p.account_id, a.username, p.org_name, a.status, p.created_by, p.created_at
         FROM partners p JOIN accounts a ON a.id = p.account_id WHERE p.account_id = $1`,
      [accountId],
    );
    return rows.length === 0 ? null : toPartner(rows[0]);
  }

  async listPartners(limit: number, offset: number): Promise<{ total: number; items: PartnerRow[] }> {
    const rows: Array<{ account_id: string; username: string; org_name: string; status: string; created_by: string; created_at: Date; total: string }> =
      await this.dataSource.query(
        `SELECT p.account_id, a.username, p.org_name, a.status, p.created_by, p.created_at, count(*) OVER () AS total
           FROM partners p JOIN accounts a ON a.id = p.account_id ORDER BY a.username LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
    return { total: rows.length === 0 ? 0 : Number(rows[0].total), items: rows.map(toPartner) };
  }
}

function toGrant(row: RawGrant): GrantRow {
  return {
    id: row.id,
    enterpriseId: row.enterprise_id,
    granteeAccountId: row.grantee_account_id,
    granteeUsername: row.username,
    granteeRole: row.role,
    granteeOrgName: row.org_name,
    grantedBy: row.granted_by,
    createdAt: row.created_at,
  };
}

function toPartner(row: { account_id: string; username: string; org_name: string; status: string; created_by: string; created_at: Date }): PartnerRow {
  return { accountId: row.account_id, username: row.username, orgName: row.org_name, status: row.status, createdBy: row.created_by, createdAt: row.created_at };
}
