import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EVENT_PARTITION_SCHEMA, EVENTS_DEFAULT_PARTITION, monthBounds, type MonthPartition, monthPartition, monthsAhead } from '../../traceability/store/event-partitions';
import { EDGES, EVENT_COLUMNS, EVENT_INDEXES, EVENT_NAMES, hashEventsById, rebuildTable } from './1797200000000-partitioned-store';

/**
 * EPCIS events partitioned by time (issue 13 item 3, docs/scaling.md): epcis_events becomes
 * PARTITION BY RANGE (record_time), one partition per UTC month in the schema idis_partitions
 * (epcis_events_2026_12 …) and a DEFAULT partition (epcis_events_default) that takes any record
 * time no month covers, so that an insert never fails. An event log is appended in record-time
 * order: the current month's partition takes every write, its indexes stay the size of a month,
 * record-time reads (GE_recordTime / LT_recordTime, the subscriptions' feed) read the months they
 * name, and a past month can be detached whole. The node's upkeep (EventPartitionKeeper) makes the
 * next months' partitions ahead of time; this migration makes one for every month that holds events
 * and for the current month and the two after it.
 *
 * A key of a partitioned table must contain its partition key, so the two keys the event store
 * relies on cannot stay on epcis_events: with record_time in them, a redelivery (a new record time)
 * would no longer meet its first copy and an eventID could be stored twice. They move to
 * epcis_event_ids (event_id, enterprise_prefix, record_time), an unpartitioned table of one narrow
 * row per event:
 * - PRIMARY KEY (event_id), pk_epcis_event_ids: an eventID names one event node-wide. The same
 *   eventID from another enterprise fails on it (the event store's isEventIdConflict recognises it
 *   by this name), and it is what the edge tables' foreign keys point at (ON DELETE CASCADE).
 * - UNIQUE (enterprise_prefix, event_id), uq_epcis_event_ids_owner: the owner's key, the arbiter
 *   of the event store's ON CONFLICT DO NOTHING, so that a redelivery is a duplicate.
 * The event store writes the id first and the event only when the id was new, in the same statement
 * (data-modifying CTEs): that is what keeps one event row per id. epcis_events keeps
 * (event_id, record_time) as its primary key — an index on event_id in every partition, for reads by
 * eventID and joins from the edges. It has no foreign key to its id: checking one costs a look-up per
 * event on the ingestion path (a tenth of the batch statement's time), for a rule the one writer
 * already keeps. Deletes flow from the ids: deleting ids deletes their edges (ON DELETE CASCADE) and,
 * through the statement trigger tr_epcis_event_ids_delete_events, their event rows, so deleting an
 * event is deleting its id. record_time in epcis_event_ids says which partition holds the event, and
 * which ids go with a month that is retired.
 *
 * A populated database is converted in place, in one transaction like PartitionedStore1797200000000:
 * the ids are copied out of the events first, then the events move from the hash partitions to the
 * month partitions with one INSERT … SELECT, and keys, indexes and foreign keys are made on the
 * loaded rows. down() moves the events back into the hash partitions with their previous keys and
 * drops epcis_event_ids.
 */
export class EventsByRecordTime1797300000000 implements MigrationInterface {
  name = 'EventsByRecordTime1797300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "epcis_event_ids" ("event_id" text NOT NULL, "enterprise_prefix" text NOT NULL, "record_time" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())`);
    await queryRunner.query(`INSERT INTO "epcis_event_ids" ("event_id", "enterprise_prefix", "record_time") SELECT "event_id", "enterprise_prefix", "record_time" FROM "epcis_events"`);
    await queryRunner.query(`ALTER TABLE "epcis_event_ids" ADD CONSTRAINT "pk_epcis_event_ids" PRIMARY KEY ("event_id")`);
    await queryRunner.query(`ALTER TABLE "epcis_event_ids" ADD CONSTRAINT "uq_epcis_event_ids_owner" UNIQUE ("enterprise_prefix", "event_id")`);

    for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
    await queryRunner.query(`CREATE TABLE "epcis_events_by_time" (${EVENT_COLUMNS}) PARTITION BY RANGE ("record_time")`);
    for (const month of await monthsToCreate(queryRunner)) {
      await queryRunner.query(`CREATE TABLE "${EVENT_PARTITION_SCHEMA}"."${month.name}" PARTITION OF "epcis_events_by_time" ${monthBounds(month)}`);
    }
    await queryRunner.query(`CREATE TABLE "${EVENT_PARTITION_SCHEMA}"."${EVENTS_DEFAULT_PARTITION}" PARTITION OF "epcis_events_by_time" DEFAULT`);
    await queryRunner.query(`INSERT INTO "epcis_events_by_time" (${EVENT_NAMES}) SELECT ${EVENT_NAMES} FROM "epcis_events"`);
    await queryRunner.query(`DROP TABLE "epcis_events"`);
    await queryRunner.query(`ALTER TABLE "epcis_events_by_time" RENAME TO "epcis_events"`);

    await queryRunner.query(`ALTER TABLE "epcis_events" ADD CONSTRAINT "pk_epcis_events" PRIMARY KEY ("event_id", "record_time")`);
    for (const index of EVENT_INDEXES) await queryRunner.query(index);
    // One DELETE per statement on the ids, however many they were (a month retired at once).
    await queryRunner.query(`CREATE FUNCTION "epcis_event_ids_delete_events"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM "epcis_events" e USING "gone" g WHERE e."event_id" = g."event_id";
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_epcis_event_ids_delete_events" AFTER DELETE ON "epcis_event_ids" REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "epcis_event_ids_delete_events"()`,
    );
    for (const [table, constraint] of EDGES) {
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("event_id") REFERENCES "epcis_event_ids"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      );
    }
    await queryRunner.query(`ANALYZE "epcis_event_ids"`);
    await queryRunner.query(`ANALYZE "epcis_events"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await hashEventsById(queryRunner);
    await queryRunner.query(`DROP TABLE "epcis_event_ids"`);
    await queryRunner.query(`DROP FUNCTION "epcis_event_ids_delete_events"()`);
    await queryRunner.query(`ANALYZE "epcis_events"`);
  }
}

/** Every month that holds events, and the current month with the months the upkeep keeps ready. */
async function monthsToCreate(queryRunner: QueryRunner): Promise<MonthPartition[]> {
  const [{ now }]: Array<{ now: Date }> = await queryRunner.query(`SELECT now() AS now`);
  const held: Array<{ month: string }> = await queryRunner.query(
    `SELECT DISTINCT to_char(date_trunc('month', "record_time" AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T00:00:00Z"') AS month FROM "epcis_events"`,
  );
  const months = new Map<string, MonthPartition>();
  // A record time outside the years 0001–9999 (written by hand) has no month partition: the default partition keeps it.
  const starts = held.map((row) => new Date(row.month)).filter((start) => Number.isFinite(start.getTime()));
  for (const month of [...starts.map((start) => monthPartition(start)), ...monthsAhead(now)]) months.set(month.name, month);
  return [...months.values()].sort((a, b) => a.from.localeCompare(b.from));
}
