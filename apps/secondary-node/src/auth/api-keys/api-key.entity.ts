import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An enterprise's API key for its machines. The secret itself is never stored: only its SHA-256
 * (see api-key-secret.ts). `enterprise_id` is a plain column, as on accounts (auth knows no
 * registry entity); keys are revoked, never deleted, so that the audit log can name them.
 */
@Entity({ name: 'api_keys' })
@Index('ix_api_keys_enterprise', ['enterpriseId'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_api_keys' })
  id: string;

  @Column({ name: 'enterprise_id', type: 'uuid' })
  enterpriseId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Index('uq_api_keys_secret_hash', { unique: true })
  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash: string;

  /** `idk_` and the first characters of the secret, to tell keys apart in a listing. */
  @Column({ name: 'secret_hint', type: 'varchar', length: 16 })
  secretHint: string;

  /** Enterprise prefix keys (lower case) the key may act under. */
  @Column({ type: 'varchar', length: 64, array: true })
  prefixes: string[];

  @Column({ type: 'varchar', length: 16, array: true })
  operations: string[];

  @Column({ name: 'created_by', type: 'varchar', length: 50 })
  createdBy: string;

  @Column({ name: 'created_by_account_id', type: 'uuid' })
  createdByAccountId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** The username that revoked it, or `deactivation` when its enterprise was deactivated. */
  @Column({ name: 'revoked_by', type: 'varchar', length: 50, nullable: true })
  revokedBy: string | null;

  /** Written at most once a minute per key and replica (see ApiKeysService). */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
