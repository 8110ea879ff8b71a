import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Resolution and registration counts per enterprise prefix and minute (statistics). */
export class UsageCounts1795460000000 implements MigrationInterface {
  name = 'UsageCounts1795460000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "usage_counts" ("prefix_key" character varying(64) COLLATE "C" NOT NULL, "minute" TIMESTAMP WITH TIME ZONE NOT NULL, "kind" character varying(16) NOT NULL, "outcome" character varying(16) NOT NULL, "count" bigint NOT NULL, CONSTRAINT "ck_usage_counts_count" CHECK ("count" >= 0), CONSTRAINT "ck_usage_counts_outcome" CHECK (("kind" = 'resolution' AND "outcome" IN ('l1', 'l2', 'db', 'not_found', 'error')) OR ("kind" = 'registration' AND "outcome" IN ('create', 'update', 'delete'))), CONSTRAINT "pk_usage_counts" PRIMARY KEY ("prefix_key", "minute", "kind", "outcome"))`);
    // Time-range queries over all prefixes (an operator's node-wide view); per-prefix ranges use the primary key.
    await queryRunner.query(`CREATE INDEX "ix_usage_counts_kind_minute" ON "usage_counts" ("kind", "minute") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "usage_counts"`);
  }
}
