import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * EPCIS 2.0 named queries and their webhook subscriptions (traceability/subscriptions), written
 * with SQL only. A named query belongs to its owner (`enterprise:<id>` or `account:<id>`), its name
 * unique per owner; a subscription remembers how far it has delivered (the record-time position of
 * the last acknowledged event), who holds its delivery lease (one replica at a time), and when to
 * retry. record_time gets an index: subscriptions read new events in record-time order.
 */
export class EpcisNamedQueries1797100000000 implements MigrationInterface {
  name = 'EpcisNamedQueries1797100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_epcis_events_record_time" ON "epcis_events" ("record_time")`);
    await queryRunner.query(`CREATE TABLE "epcis_named_queries" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "owner" text NOT NULL,
      "name" text NOT NULL,
      "parameters" jsonb NOT NULL,
      "created_by" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_epcis_named_queries" PRIMARY KEY ("id"),
      CONSTRAINT "uq_epcis_named_queries_owner_name" UNIQUE ("owner", "name")
    )`);
    await queryRunner.query(`CREATE TABLE "epcis_subscriptions" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "query_id" uuid NOT NULL,
      "owner" text NOT NULL,
      "subscriber" jsonb NOT NULL,
      "dest" text NOT NULL,
      "sealed_secret" text NOT NULL,
      "initial_record_time" timestamptz NOT NULL,
      "cursor_time" text NOT NULL,
      "cursor_event_id" text NOT NULL DEFAULT '',
      "delivered_events" bigint NOT NULL DEFAULT 0,
      "attempts" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
      "last_error" text,
      "last_delivered_at" timestamptz,
      "lease_owner" text,
      "lease_until" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_epcis_subscriptions" PRIMARY KEY ("id"),
      CONSTRAINT "fk_epcis_subscriptions_query" FOREIGN KEY ("query_id") REFERENCES "epcis_named_queries" ("id") ON DELETE CASCADE
    )`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_subscriptions_query" ON "epcis_subscriptions" ("query_id")`);
    await queryRunner.query(`CREATE INDEX "ix_epcis_subscriptions_owner" ON "epcis_subscriptions" ("owner")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "epcis_subscriptions"`);
    await queryRunner.query(`DROP TABLE "epcis_named_queries"`);
    await queryRunner.query(`DROP INDEX "ix_epcis_events_record_time"`);
  }
}
