import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts keep their enterprise id as a plain column: auth no longer holds an ORM relation into
 * the registry's enterprises, so the foreign key goes (the registry writes both rows in one
 * transaction and never deletes an enterprise).
 */
export class AccountsWithoutRegistryRelation1796200000000 implements MigrationInterface {
  name = 'AccountsWithoutRegistryRelation1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "accounts" DROP CONSTRAINT "fk_accounts_enterprise"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "accounts" ADD CONSTRAINT "fk_accounts_enterprise" FOREIGN KEY ("enterprise_id") REFERENCES "enterprises"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }
}
