import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The top-level node's own database: enrolled nodes and their current credential, nonces of
 * signed calls, enterprise-prefix filings with their transactions and review queue, statistics
 * reports with their volumes, and sequence gaps.
 */
export class TopLevelSchema1796200000000 implements MigrationInterface {
  name = 'TopLevelSchema1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "nodes" ("node_id" character varying(64) NOT NULL, "secondary_prefix" character varying(64) NOT NULL, "prefix_key" character varying(64) COLLATE "C" NOT NULL, "endpoints" jsonb NOT NULL DEFAULT '[]', "software_version" character varying(128) NOT NULL DEFAULT '', "key_id" character varying(64) NOT NULL, "secret_sealed" text NOT NULL, "credentials_issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "enrolled_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_heartbeat_at" TIMESTAMP WITH TIME ZONE, "heartbeat_status" character varying(16), "outbox_depth" bigint NOT NULL DEFAULT '0', "last_heartbeat_sequence" bigint, "last_report_sequence" bigint, "heartbeat_missing_total" bigint NOT NULL DEFAULT '0', "report_missing_total" bigint NOT NULL DEFAULT '0', CONSTRAINT "uq_nodes_prefix_key" UNIQUE ("prefix_key"), CONSTRAINT "pk_nodes" PRIMARY KEY ("node_id"))`);
    await queryRunner.query(`CREATE TABLE "request_nonces" ("node_id" character varying(64) NOT NULL, "nonce" character varying(128) COLLATE "C" NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_request_nonces" PRIMARY KEY ("node_id", "nonce"))`);
    await queryRunner.query(`CREATE INDEX "ix_request_nonces_expires_at" ON "request_nonces" ("expires_at") `);
    await queryRunner.query(`CREATE TABLE "filings" ("prefix_key" character varying(64) COLLATE "C" NOT NULL, "prefix" character varying(64) NOT NULL, "node_id" character varying(64) NOT NULL, "status" character varying(16) NOT NULL, "enterprise" jsonb NOT NULL, "review_reason" character varying(500) NOT NULL DEFAULT '', "pending_transaction_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "approved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_filings_status" CHECK ("status" IN ('pending', 'approved', 'rejected', 'deleted')), CONSTRAINT "pk_filings" PRIMARY KEY ("prefix_key"))`);
    await queryRunner.query(`CREATE INDEX "ix_filings_node_status" ON "filings" ("node_id", "status") `);
    await queryRunner.query(`CREATE TABLE "filing_transactions" ("server_transaction_id" uuid NOT NULL, "node_id" character varying(64) NOT NULL, "client_transaction_id" character varying(64) COLLATE "C" NOT NULL, "prefix" character varying(64) NOT NULL, "prefix_key" character varying(64) COLLATE "C" NOT NULL, "operation" character varying(8) NOT NULL, "enterprise" jsonb, "reason" character varying(500) NOT NULL DEFAULT '', "submitted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "review_due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "outcome" character varying(16), "review_reason" character varying(500) NOT NULL DEFAULT '', "reviewed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_filing_transactions_client" UNIQUE ("node_id", "client_transaction_id"), CONSTRAINT "ck_filing_transactions_outcome" CHECK ("outcome" IS NULL OR "outcome" IN ('approved', 'rejected', 'deleted')), CONSTRAINT "ck_filing_transactions_operation" CHECK ("operation" IN ('create', 'update', 'delete')), CONSTRAINT "pk_filing_transactions" PRIMARY KEY ("server_transaction_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_filing_transactions_prefix_key" ON "filing_transactions" ("prefix_key") `);
    // The review sweep looks for undecided transactions whose delay has elapsed.
    await queryRunner.query(`CREATE INDEX "ix_filing_transactions_review_due_at" ON "filing_transactions" ("review_due_at") `);
    await queryRunner.query(`CREATE TABLE "review_messages" ("message_id" uuid NOT NULL, "node_id" character varying(64) NOT NULL, "server_transaction_id" uuid NOT NULL, "client_transaction_id" character varying(64) COLLATE "C" NOT NULL, "prefix" character varying(64) NOT NULL, "operation" character varying(8) NOT NULL, "outcome" character varying(16) NOT NULL, "reason" character varying(500) NOT NULL DEFAULT '', "reviewed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_review_messages" PRIMARY KEY ("message_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_review_messages_node_reviewed_at" ON "review_messages" ("node_id", "reviewed_at") `);
    await queryRunner.query(`CREATE TABLE "statistics_reports" ("node_id" character varying(64) NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "sequence" bigint NOT NULL, "volume_count" integer NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_statistics_reports" PRIMARY KEY ("node_id", "period_start", "period_end"))`);
    await queryRunner.query(`CREATE TABLE "reported_volumes" ("node_id" character varying(64) NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "prefix" character varying(64) COLLATE "C" NOT NULL, "registrations" bigint NOT NULL, "resolutions" bigint NOT NULL, "not_found" bigint NOT NULL, "errors" bigint NOT NULL, CONSTRAINT "ck_reported_volumes_counts" CHECK ("registrations" >= 0 AND "resolutions" >= 0 AND "not_found" >= 0 AND "errors" >= 0), CONSTRAINT "pk_reported_volumes" PRIMARY KEY ("node_id", "period_start", "period_end", "prefix"))`);
    await queryRunner.query(`CREATE INDEX "ix_reported_volumes_period_start" ON "reported_volumes" ("period_start") `);
    await queryRunner.query(`CREATE TABLE "sequence_gaps" ("id" uuid NOT NULL, "node_id" character varying(64) NOT NULL, "stream" character varying(16) NOT NULL, "first_missing" bigint NOT NULL, "last_missing" bigint NOT NULL, "detected_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_sequence_gaps_range" CHECK ("first_missing" <= "last_missing"), CONSTRAINT "ck_sequence_gaps_stream" CHECK ("stream" IN ('report', 'heartbeat')), CONSTRAINT "pk_sequence_gaps" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_sequence_gaps_node_detected_at" ON "sequence_gaps" ("node_id", "detected_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "sequence_gaps"`);
    await queryRunner.query(`DROP TABLE "reported_volumes"`);
    await queryRunner.query(`DROP TABLE "statistics_reports"`);
    await queryRunner.query(`DROP TABLE "review_messages"`);
    await queryRunner.query(`DROP TABLE "filing_transactions"`);
    await queryRunner.query(`DROP TABLE "filings"`);
    await queryRunner.query(`DROP TABLE "request_nonces"`);
    await queryRunner.query(`DROP TABLE "nodes"`);
  }
}
