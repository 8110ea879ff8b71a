import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Enterprises' API keys for machines: hashed secret, scope (prefixes, operations), expiry, revocation, last use. */
export class ApiKeys1796300000003 implements MigrationInterface {
  name = 'ApiKeys1796300000003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "enterprise_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "secret_hash" character varying(64) NOT NULL, "secret_hint" character varying(16) NOT NULL, "prefixes" character varying(64) array NOT NULL, "operations" character varying(16) array NOT NULL, "created_by" character varying(50) NOT NULL, "created_by_account_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" character varying(50), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_api_keys_enterprise" ON "api_keys" ("enterprise_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_secret_hash" ON "api_keys" ("secret_hash") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
