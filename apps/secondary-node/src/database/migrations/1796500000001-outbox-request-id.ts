import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The request (or ingestion batch) that wrote an outbox item, so its delivery can be traced back to it in the logs and the audit log. */
export class OutboxRequestId1796500000001 implements MigrationInterface {
  name = 'OutboxRequestId1796500000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "upstream_outbox" ADD "request_id" character varying(128)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "upstream_outbox" DROP COLUMN "request_id"`);
  }
}
