import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traceability store (EPCIS 2.0 events ingested over MQTT or POST /epcis/capture): events with
 * typed columns and the jsonb document, the (identifier, event, role) edges, containment and
 * derivation for genealogy, rejects (the dead letters MQTT lacks), ingestion counters and capture
 * jobs. The layout is the one agreed in notes/traceability-contract.md; the query side reads it.
 */
export class Traceability1796000000000 implements MigrationInterface {
  name = 'Traceability1796000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "epcis_events" ("event_id" text NOT NULL, "hash_id" text NOT NULL, "event_type" text NOT NULL, "enterprise_prefix" text NOT NULL, "event_time" TIMESTAMP WITH TIME ZONE NOT NULL, "event_time_zone_offset" text NOT NULL, "record_time" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "action" text, "biz_step" text, "disposition" text, "read_point" text, "biz_location" text, "error_declared_at" TIMESTAMP WITH TIME ZONE, "error_reason" text, "corrective_event_ids" text array, "source" text NOT NULL, "document" jsonb NOT NULL, CONSTRAINT "pk_epcis_events" PRIMARY KEY ("event_id"))`);
    // Hash look-ups (is this content already here under another eventID?).
    await queryRunner.query(`CREATE INDEX "ix_epcis_events_hash_id" ON "epcis_events" ("hash_id") `);
    // EQ_bizStep.
    await queryRunner.query(`CREATE INDEX "ix_epcis_events_biz_step" ON "epcis_events" ("biz_step") `);
    // Node-wide time ranges with keyset paging (operators).
    await queryRunner.query(`CREATE INDEX "ix_epcis_events_time" ON "epcis_events" ("event_time", "event_id") `);
    // One enterprise's time ranges with keyset paging (owners and partners).
    await queryRunner.query(`CREATE INDEX "ix_epcis_events_prefix_time" ON "epcis_events" ("enterprise_prefix", "event_time", "event_id") `);
    await queryRunner.query(`CREATE TABLE "epcis_event_identifiers" ("identifier" text NOT NULL, "event_id" text NOT NULL, "role" text NOT NULL, CONSTRAINT "pk_epcis_event_identifiers" PRIMARY KEY ("identifier", "event_id", "role"))`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_event_identifiers_event" ON "epcis_event_identifiers" ("event_id") `);
    await queryRunner.query(`CREATE TABLE "epcis_containment" ("parent" text NOT NULL, "child" text NOT NULL, "event_id" text NOT NULL, "action" text NOT NULL, "event_time" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_epcis_containment" PRIMARY KEY ("parent", "child", "event_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_containment_child" ON "epcis_containment" ("child") `);
    await queryRunner.query(`CREATE TABLE "epcis_derivations" ("input" text NOT NULL, "output" text NOT NULL, "event_id" text NOT NULL, "event_time" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_epcis_derivations" PRIMARY KEY ("input", "output", "event_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_derivations_output" ON "epcis_derivations" ("output") `);
    await queryRunner.query(`CREATE TABLE "epcis_rejects" ("id" BIGSERIAL NOT NULL, "enterprise_prefix" text, "source" text NOT NULL, "topic" text, "reason" text NOT NULL, "problems" jsonb NOT NULL, "payload" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_epcis_rejects" PRIMARY KEY ("id"))`);
    // An enterprise's (or operator's) recent rejects.
    await queryRunner.query(`CREATE INDEX "ix_epcis_rejects_prefix_received" ON "epcis_rejects" ("enterprise_prefix", "received_at") `);
    await queryRunner.query(`CREATE TABLE "ingestion_counters" ("name" text NOT NULL, "value" bigint NOT NULL, CONSTRAINT "pk_ingestion_counters" PRIMARY KEY ("name"))`);
    await queryRunner.query(`CREATE TABLE "epcis_capture_jobs" ("id" uuid NOT NULL, "enterprise_prefix" text NOT NULL, "account_id" uuid NOT NULL, "status" text NOT NULL, "event_count" integer NOT NULL, "stored" integer NOT NULL DEFAULT '0', "duplicates" integer NOT NULL DEFAULT '0', "problems" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_epcis_capture_jobs_status" CHECK ("status" IN ('accepted', 'succeeded', 'failed')), CONSTRAINT "pk_epcis_capture_jobs" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_capture_jobs_account" ON "epcis_capture_jobs" ("account_id", "created_at") `);
    await queryRunner.query(`ALTER TABLE "epcis_event_identifiers" ADD CONSTRAINT "fk_epcis_event_identifiers_event" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "epcis_containment" ADD CONSTRAINT "fk_epcis_containment_event" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "epcis_derivations" ADD CONSTRAINT "fk_epcis_derivations_event" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "epcis_capture_jobs"`);
    await queryRunner.query(`DROP TABLE "ingestion_counters"`);
    await queryRunner.query(`DROP TABLE "epcis_rejects"`);
    await queryRunner.query(`DROP TABLE "epcis_derivations"`);
    await queryRunner.query(`DROP TABLE "epcis_containment"`);
    await queryRunner.query(`DROP TABLE "epcis_event_identifiers"`);
    await queryRunner.query(`DROP TABLE "epcis_events"`);
  }
}
