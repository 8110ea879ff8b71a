import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

export interface CredentialRow {
  id: string;
  enterpriseId: string;
  username: string;
  label: string | null;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A credential in use: its digest, and its enterprise's active prefixes (spelling and key). */
export interface ActiveCredential {
  id: string;
  enterpriseId: string;
  username: string;
  secretDigest: string;
  prefixes: Array<{ prefix: string; prefixKey: string }>;
}

interface RawCredential {
  id: string;
  enterprise_id: string;
  username: string;
  label: string | null;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** Advisory lock key of the broker accounts ("mqtt" in ASCII). */
const ACCOUNTS_LOCK = 0x6d717474;

const COLUMNS = `id, enterprise_id, username, label, created_by, created_at, revoked_at`;

function toRow(raw: RawCredential): CredentialRow {
  return { id: raw.id, enterpriseId: raw.enterprise_id, username: raw.username, label: raw.label, createdBy: raw.created_by, createdAt: raw.created_at, revokedAt: raw.revoked_at };
}

/** The pg driver answers an UPDATE … RETURNING through manager.query with [rows, affected count]. */
function returnedRows<T>(result: unknown[]): T[] {
  return (Array.isArray(result[0]) ? result[0] : result) as T[];
}

/**
 * MQTT credentials, and the read-only look-ups about enterprises and their prefixes that the
 * broker checks need. enterprise_prefixes and enterprises belong to the registry, which exports no
 * service listing an enterprise's prefixes; these queries live here for that reason (as in
 * store/capture-job.repository.ts).
 */
@Injectable()
export class MqttCredentialRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Changes to broker accounts (a credential created or revoked with its enterprise) hold this lock
   * shared until they commit; a reconciliation holds it exclusively while it compares the broker
   * with the database. So a reconciliation never sees an account on the broker whose row is not
   * committed yet (and deletes it), on any replica.
   */
  async lockAccountsShared(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock_shared($1)`, [ACCOUNTS_LOCK]);
  }

  withAccountsLocked<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [ACCOUNTS_LOCK]);
      return work(manager);
    });
  }

  /** The enterprise's status, or undefined when there is no such enterprise. Locks its row in a transaction. */
  async enterpriseStatus(enterpriseId: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<string | undefined> {
    const rows: Array<{ status: string }> = await manager.query(`SELECT status FROM enterprises WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [enterpriseId]);
    return rows[0]?.status;
  }

  /** Active prefixes of an active enterprise (empty otherwise), spelling and lower-cased key. */
  async activePrefixes(enterpriseId: string, manager: EntityManager = this.dataSource.manager): Promise<Array<{ prefix: string; prefixKey: string }>> {
    const rows: Array<{ prefix: string; prefix_key: string }> = await manager.query(
      `SELECT p.prefix, p.prefix_key FROM enterprise_prefixes p JOIN enterprises e ON e.id = p.enterprise_id
        WHERE p.enterprise_id = $1 AND p.status = 'active' AND e.status = 'active' ORDER BY p.prefix_key`,
      [enterpriseId],
    );
    return rows.map((row) => ({ prefix: row.prefix, prefixKey: row.prefix_key }));
  }

  /** The owner (enterprise id) of a prefix key, whatever the prefix's state. */
  async ownerOfPrefix(prefixKey: string): Promise<string | null> {
    const rows: Array<{ enterprise_id: string | null }> = await this.dataSource.query(`SELECT enterprise_id FROM enterprise_prefixes WHERE prefix_key = $1`, [prefixKey]);
    return rows[0]?.enterprise_id ?? null;
  }

  async countUnrevoked(manager: EntityManager, enterpriseId: string): Promise<number> {
    const rows: Array<{ n: number }> = await manager.query(`SELECT count(*)::int AS n FROM mqtt_credentials WHERE enterprise_id = $1 AND revoked_at IS NULL`, [enterpriseId]);
    return rows[0].n;
  }

  /** Inserts a credential; null when the username is taken (the caller derives another). */
  async insert(manager: EntityManager, credential: { enterpriseId: string; username: string; secretDigest: string; label: string | null; createdBy: string }): Promise<CredentialRow | null> {
    const rows: RawCredential[] = await manager.query(
      `INSERT INTO mqtt_credentials (enterprise_id, username, secret_digest, label, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
      [credential.enterpriseId, credential.username, credential.secretDigest, credential.label, credential.createdBy],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  async listForEnterprise(enterpriseId: string, includeRevoked: boolean): Promise<CredentialRow[]> {
    const rows: RawCredential[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM mqtt_credentials WHERE enterprise_id = $1 ${includeRevoked ? '' : 'AND revoked_at IS NULL'} ORDER BY created_at, id`,
      [enterpriseId],
    );
    return rows.map(toRow);
  }

  /** Revokes one credential of the enterprise; the row as revoked now, or null if there is none (or it was revoked before). */
  async revoke(manager: EntityManager, enterpriseId: string, credentialId: string, by: string, reason: string): Promise<CredentialRow | null> {
    const result: unknown[] = await manager.query(
      `UPDATE mqtt_credentials SET revoked_at = now(), revoked_by = $3, revoke_reason = $4
        WHERE enterprise_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [enterpriseId, credentialId, by, reason],
    );
    const rows = returnedRows<RawCredential>(result);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Revokes every credential of the enterprise still in force; returns those revoked now. */
  async revokeAllOfEnterprise(manager: EntityManager, enterpriseId: string, by: string, reason: string): Promise<CredentialRow[]> {
    const result: unknown[] = await manager.query(
      `UPDATE mqtt_credentials SET revoked_at = now(), revoked_by = $2, revoke_reason = $3
        WHERE enterprise_id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [enterpriseId, by, reason],
    );
    return returnedRows<RawCredential>(result).map(toRow);
  }

  async findCredential(enterpriseId: string, credentialId: string): Promise<CredentialRow | null> {
    const rows: RawCredential[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM mqtt_credentials WHERE enterprise_id = $1 AND id = $2`, [enterpriseId, credentialId]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /**
   * The credential named `username` if it is in force: not revoked, its enterprise active. With
   * the active prefixes of its enterprise (possibly none). One query.
   */
  async findActiveByUsername(username: string): Promise<ActiveCredential | null> {
    const rows: Array<{ id: string; enterprise_id: string; username: string; secret_digest: string; prefixes: Array<{ prefix: string; prefixKey: string }> | null }> =
      await this.dataSource.query(
        `SELECT c.id, c.enterprise_id, c.username, c.secret_digest,
                (SELECT json_agg(json_build_object('prefix', p.prefix, 'prefixKey', p.prefix_key) ORDER BY p.prefix_key)
                   FROM enterprise_prefixes p WHERE p.enterprise_id = c.enterprise_id AND p.status = 'active') AS prefixes
           FROM mqtt_credentials c JOIN enterprises e ON e.id = c.enterprise_id
          WHERE c.username = $1 AND c.revoked_at IS NULL AND e.status = 'active'`,
        [username],
      );
    const row = rows[0];
    if (!row) return null;
    return { id: row.id, enterpriseId: row.enterprise_id, username: row.username, secretDigest: row.secret_digest, prefixes: row.prefixes ?? [] };
  }

  /** Of the given credential ids, those no longer in force (revoked, or their enterprise deactivated). */
  async noLongerInForce(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM unnest($1::uuid[]) AS x(id)
        WHERE NOT EXISTS (SELECT 1 FROM mqtt_credentials c JOIN enterprises e ON e.id = c.enterprise_id
                           WHERE c.id = x.id AND c.revoked_at IS NULL AND e.status = 'active')`,
      [ids],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Every credential in force with its enterprise's active prefixes: what the broker must know
   * (the Mosquitto reconciliation).
   */
  async listInForce(manager: EntityManager = this.dataSource.manager): Promise<Array<{ id: string; enterpriseId: string; username: string; prefixes: Array<{ prefix: string; prefixKey: string }> }>> {
    const rows: Array<{ id: string; enterprise_id: string; username: string; prefixes: Array<{ prefix: string; prefixKey: string }> | null }> = await manager.query(
      `SELECT c.id, c.enterprise_id, c.username,
              (SELECT json_agg(json_build_object('prefix', p.prefix, 'prefixKey', p.prefix_key) ORDER BY p.prefix_key)
                 FROM enterprise_prefixes p WHERE p.enterprise_id = c.enterprise_id AND p.status = 'active') AS prefixes
         FROM mqtt_credentials c JOIN enterprises e ON e.id = c.enterprise_id
        WHERE c.revoked_at IS NULL AND e.status = 'active' ORDER BY c.username`,
    );
    return rows.map((row) => ({ id: row.id, enterpriseId: row.enterprise_id, username: row.username, prefixes: row.prefixes ?? [] }));
  }
}
