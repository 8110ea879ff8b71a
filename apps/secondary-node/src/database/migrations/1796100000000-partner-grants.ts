import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may read traceability events besides their owner and operators: partner accounts (role
 * `partner`, with their organisation) and the grants enterprises give to other accounts.
 */
export class PartnerGrants1796100000000 implements MigrationInterface {
  name = 'PartnerGrants1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "accounts" DROP CONSTRAINT "ck_accounts_role"`);
    await queryRunner.query(`ALTER TABLE "accounts" ADD CONSTRAINT "ck_accounts_role" CHECK ("role" IN ('operator', 'enterprise', 'partner'))`);
    await queryRunner.query(`CREATE TABLE "partners" ("account_id" uuid NOT NULL, "org_name" character varying(200) NOT NULL, "created_by" character varying(50) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_214cfac1bcddb21b46983a19ff0" PRIMARY KEY ("account_id"))`);
    await queryRunner.query(`CREATE TABLE "partner_grants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "enterprise_id" uuid NOT NULL, "grantee_account_id" uuid NOT NULL, "granted_by" character varying(50) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0de8d12a5f531760d42096d450e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_partner_grants_grantee" ON "partner_grants" ("grantee_account_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_partner_grants_enterprise_grantee" ON "partner_grants" ("enterprise_id", "grantee_account_id") `);
    await queryRunner.query(`ALTER TABLE "partners" ADD CONSTRAINT "fk_partners_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "partner_grants" ADD CONSTRAINT "fk_partner_grants_enterprise" FOREIGN KEY ("enterprise_id") REFERENCES "enterprises"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "partner_grants" ADD CONSTRAINT "fk_partner_grants_grantee" FOREIGN KEY ("grantee_account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "partner_grants"`);
    await queryRunner.query(`DROP TABLE "partners"`);
    // Partner accounts cannot exist under the old rule.
    await queryRunner.query(`DELETE FROM "accounts" WHERE "role" = 'partner'`);
    await queryRunner.query(`ALTER TABLE "accounts" DROP CONSTRAINT "ck_accounts_role"`);
    await queryRunner.query(`ALTER TABLE "accounts" ADD CONSTRAINT "ck_accounts_role" CHECK ("role" IN ('operator', 'enterprise'))`);
  }
}
