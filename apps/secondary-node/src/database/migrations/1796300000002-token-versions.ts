import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each account's token version: tokens carry the version they were issued under, and a password
 * change, a reset or a deactivation moves it on so that every older token is refused. Existing
 * tokens (without a version) count as version 0 and keep working until then.
 */
export class TokenVersions1796300000002 implements MigrationInterface {
  name = 'TokenVersions1796300000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "accounts" ADD "token_version" integer NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "accounts" DROP COLUMN "token_version"`);
  }
}
