import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (audit/): an append-only, hash-chained table of who changed what (and which calls
 * were refused), the head of the chain (one row, locked by every append so rows chain in commit
 * order), and the signed checkpoints pruning leaves behind. A trigger refuses UPDATE, TRUNCATE,
 * and DELETE outside the pruner (which sets `idis.audit_prune` for its own transaction).
 */
export class AuditLog1796500000000 implements MigrationInterface {
  name = 'AuditLog1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_log" (
      "seq" bigint NOT NULL,
      "at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "actor" character varying(128),
      "actor_id" character varying(64),
      "role" character varying(16),
      "api_key_id" character varying(64),
      "action" character varying(64) NOT NULL,
      "target" character varying(512) NOT NULL,
      "owner" character varying(128),
      "outcome" character varying(8) NOT NULL,
      "reason" character varying(200),
      "before_digest" character(64),
      "after_digest" character(64),
      "request_id" character varying(128),
      "client_ip" character varying(64),
      "prev_hash" character(64) NOT NULL,
      "hash" character(64) NOT NULL,
      CONSTRAINT "pk_audit_log" PRIMARY KEY ("seq"),
      CONSTRAINT "ck_audit_log_outcome" CHECK ("outcome" IN ('ok', 'refused'))
    )`);
    // Few indexes: every identifier written adds a row (a 2,000-item batch, 2,000 rows), and each
    // index is paid on every append. Time ranges, the enterprise scope and a target's history are
    // indexed; an actor or an action filter walks the primary key newest first.
    await queryRunner.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at")`);
    await queryRunner.query(`CREATE INDEX "ix_audit_log_owner_seq" ON "audit_log" ("owner", "seq")`);
    await queryRunner.query(`CREATE INDEX "ix_audit_log_target_seq" ON "audit_log" ("target", "seq")`);
    await queryRunner.query(`CREATE TABLE "audit_chain_head" (
      "id" smallint NOT NULL,
      "seq" bigint NOT NULL,
      "hash" character(64) NOT NULL,
      CONSTRAINT "pk_audit_chain_head" PRIMARY KEY ("id"),
      CONSTRAINT "ck_audit_chain_head_single" CHECK ("id" = 1)
    )`);
    await queryRunner.query(`INSERT INTO "audit_chain_head" ("id", "seq", "hash") VALUES (1, 0, repeat('0', 64))`);
    await queryRunner.query(`CREATE TABLE "audit_checkpoints" (
      "through_seq" bigint NOT NULL,
      "through_hash" character(64) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "signature" character(64) NOT NULL,
      CONSTRAINT "pk_audit_checkpoints" PRIMARY KEY ("through_seq")
    )`);
    await queryRunner.query(`CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('idis.audit_prune', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
    $$`);
    await queryRunner.query(`CREATE TRIGGER "tr_audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"()`);
    await queryRunner.query(`CREATE TRIGGER "tr_audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_checkpoints"`);
    await queryRunner.query(`DROP TABLE "audit_chain_head"`);
    await queryRunner.query(`DROP TABLE "audit_log"`);
    await queryRunner.query(`DROP FUNCTION "audit_log_append_only"()`);
  }
}
