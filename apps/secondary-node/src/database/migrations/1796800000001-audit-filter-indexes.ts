import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log's actor and action filters (GET /api/v1/audit?actor=…&action=handle.*) read the
 * newest matching rows first: without an index each was a walk of the whole log backwards. The
 * action index uses text_pattern_ops so that the dotted-prefix filter (`LIKE 'handle.%'`) can use
 * it as well as an exact action.
 */
export class AuditFilterIndexes1796800000001 implements MigrationInterface {
  name = 'AuditFilterIndexes1796800000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_audit_log_actor_seq" ON "audit_log" ("actor", "seq")`);
    await queryRunner.query(`CREATE INDEX "ix_audit_log_action_seq" ON "audit_log" ("action" text_pattern_ops, "seq")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_audit_log_action_seq"`);
    await queryRunner.query(`DROP INDEX "ix_audit_log_actor_seq"`);
  }
}
