import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MQTT credentials of enterprises: a derived username and a random password, kept only as a
 * digest, bound to one enterprise (its active prefixes are the topics it may publish under).
 * Revoked credentials stay as rows (revoked_at) so the broker reconciliation and the audit can tell
 * what existed.
 */
export class MqttCredentials1796600000000 implements MigrationInterface {
  name = 'MqttCredentials1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "mqtt_credentials" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "enterprise_id" uuid NOT NULL, "username" character varying(64) COLLATE "C" NOT NULL, ` +
        `"secret_digest" character varying(100) NOT NULL, "label" character varying(100), "created_by" character varying(50) NOT NULL, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" character varying(50), "revoke_reason" character varying(50), ` +
        `CONSTRAINT "pk_mqtt_credentials" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_mqtt_credentials_username" ON "mqtt_credentials" ("username")`);
    await queryRunner.query(`CREATE INDEX "ix_mqtt_credentials_enterprise" ON "mqtt_credentials" ("enterprise_id")`);
    await queryRunner.query(
      `ALTER TABLE "mqtt_credentials" ADD CONSTRAINT "fk_mqtt_credentials_enterprise" FOREIGN KEY ("enterprise_id") REFERENCES "enterprises"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mqtt_credentials"`);
  }
}
