import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The link to the top-level node: enrolment credentials and shared counters, and the outbox of upstream calls. */
export class Upstream1795900000000 implements MigrationInterface {
  name = 'Upstream1795900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "node_enrolment" ("node_id" character varying(64) NOT NULL, "top_level_url" character varying(300) NOT NULL, "assigned_prefix" character varying(64) NOT NULL, "key_id" character varying(128) NOT NULL, "secret_sealed" character varying(255) NOT NULL, "enrolled_at" TIMESTAMP WITH TIME ZONE NOT NULL, "report_sequence" bigint NOT NULL DEFAULT '0', "heartbeat_sequence" bigint NOT NULL DEFAULT '0', "reported_until" TIMESTAMP WITH TIME ZONE, "last_heartbeat_ack_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_node_enrolment" PRIMARY KEY ("node_id"))`);
    await queryRunner.query(`CREATE TABLE "upstream_outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(32) NOT NULL, "payload" jsonb NOT NULL, "client_transaction_id" character varying(64) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" character varying(1000), "response" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_upstream_outbox_status" CHECK ("status" IN ('pending', 'delivered', 'failed')), CONSTRAINT "ck_upstream_outbox_kind" CHECK ("kind" IN ('filing-create', 'filing-update', 'filing-delete', 'statistics-report')), CONSTRAINT "pk_upstream_outbox" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_upstream_outbox_client_transaction" ON "upstream_outbox" ("client_transaction_id") `);
    // The worker's scan: due pending items in order.
    await queryRunner.query(`CREATE INDEX "ix_upstream_outbox_status_next" ON "upstream_outbox" ("status", "next_attempt_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "upstream_outbox"`);
    await queryRunner.query(`DROP TABLE "node_enrolment"`);
  }
}
