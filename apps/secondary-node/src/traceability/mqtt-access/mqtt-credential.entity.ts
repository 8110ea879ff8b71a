import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { EnterpriseEntity } from '../../registry/entities/enterprise.entity';

/**
 * An MQTT account of an enterprise. The password is random, shown once, and kept only as a digest;
 * the topics it may publish under are those of its enterprise's active prefixes, computed when it
 * is used (so a deactivated prefix stops working at once). Revoking keeps the row (revoked_at).
 */
@Entity({ name: 'mqtt_credentials' })
export class MqttCredentialEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_mqtt_credentials' })
  id: string;

  @Index('ix_mqtt_credentials_enterprise')
  @Column({ name: 'enterprise_id', type: 'uuid' })
  enterpriseId: string;

  @ManyToOne(() => EnterpriseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enterprise_id', foreignKeyConstraintName: 'fk_mqtt_credentials_enterprise' })
  enterprise?: EnterpriseEntity;

  /** Derived by the node (`idis-e-<prefix>-<random>`), unique, compared byte for byte as brokers do. */
  @Index('uq_mqtt_credentials_username', { unique: true })
  @Column({ type: 'varchar', length: 64, collation: 'C' })
  username: string;

  /** `sha256$<hex>` of the password: it is 256 random bits, so a fast digest cannot be brute-forced. */
  @Column({ name: 'secret_digest', type: 'varchar', length: 100 })
  secretDigest: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  label: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 50 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 50, nullable: true })
  revokedBy: string | null;

  /** `revoked` (DELETE), `enterprise_deactivated`. */
  @Column({ name: 'revoke_reason', type: 'varchar', length: 50, nullable: true })
  revokeReason: string | null;
}
