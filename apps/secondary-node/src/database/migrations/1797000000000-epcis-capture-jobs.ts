import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Capture jobs of the EPCIS 2.0 REST binding (POST /epcis/capture, GET /epcis/capture[/{id}]):
 * the GS1-Capture-Error-Behaviour a job ran with (rollback | proceed), how many of its events were
 * refused (proceed stores the others), and an index for listing an enterprise's jobs newest first.
 * Existing jobs ran all-or-nothing: they take the default, rollback.
 */
export class EpcisCaptureJobs1797000000000 implements MigrationInterface {
  name = 'EpcisCaptureJobs1797000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "epcis_capture_jobs" ADD "error_behaviour" text NOT NULL DEFAULT 'rollback'`);
    await queryRunner.query(`ALTER TABLE "epcis_capture_jobs" ADD "rejected" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "epcis_capture_jobs" ADD CONSTRAINT "ck_epcis_capture_jobs_error_behaviour" CHECK ("error_behaviour" IN ('rollback', 'proceed'))`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_capture_jobs_prefix" ON "epcis_capture_jobs" ("enterprise_prefix", "created_at", "id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_epcis_capture_jobs_prefix"`);
    await queryRunner.query(`ALTER TABLE "epcis_capture_jobs" DROP CONSTRAINT "ck_epcis_capture_jobs_error_behaviour"`);
    await queryRunner.query(`ALTER TABLE "epcis_capture_jobs" DROP COLUMN "rejected"`);
    await queryRunner.query(`ALTER TABLE "epcis_capture_jobs" DROP COLUMN "error_behaviour"`);
  }
}
