import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** partner: reads traceability events of the enterprises that granted it (traceability/grants). */
export type Role = 'operator' | 'enterprise' | 'partner';
export type AccountStatus = 'active' | 'disabled';

@Entity({ name: 'accounts' })
@Check('ck_accounts_role', `"role" IN ('operator', 'enterprise', 'partner')`)
@Check('ck_accounts_status', `"status" IN ('active', 'disabled')`)
@Check('ck_accounts_enterprise_role', `("role" = 'enterprise') = ("enterprise_id" IS NOT NULL)`)
export class AccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  // Also unique regardless of case: uq_accounts_username_lower on lower(username), made by migration
  // 1796300000000 (TypeORM cannot declare an index on an expression).
  @Index('uq_accounts_username', { unique: true })
  @Column({ type: 'varchar', length: 50 })
  username: string;

  /** scrypt$N$r$p$salt$hash (see password-hasher.ts) */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /** sha256(password), encrypted with the node's secret: needed to check the SNMS digest login. */
  @Column({ name: 'password_digest_sealed', type: 'varchar', length: 255 })
  passwordDigestSealed: string;

  @Column({ type: 'varchar', length: 16 })
  role: Role;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: AccountStatus;

  /**
   * Tokens carry the version they were issued under (claim `ver`); a password change or reset and
   * a deactivation move it on, so every older token is refused (see Authenticator).
   */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion: number;

  /**
   * The enterprise of an enterprise account. A plain column: auth knows no registry entity. The
   * registry writes it in the same transaction as the enterprise (approval), and enterprises are
   * never deleted, only suspended.
   */
  @Column({ name: 'enterprise_id', type: 'uuid', nullable: true })
  enterpriseId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
