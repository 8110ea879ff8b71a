import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed sign-ins per username (existing or not): they slow down, then lock the name for a while. */
export class LoginThrottle1796300000001 implements MigrationInterface {
  name = 'LoginThrottle1796300000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "login_throttle" ("username_key" character varying(50) NOT NULL, "attempts" integer NOT NULL DEFAULT 0, "last_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "locked_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_login_throttle" PRIMARY KEY ("username_key"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "login_throttle"`);
  }
}
