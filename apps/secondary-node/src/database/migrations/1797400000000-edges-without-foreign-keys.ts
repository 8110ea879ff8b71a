import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EDGES } from './1797200000000-partitioned-store';

/**
 * The edge tables (epcis_event_identifiers, epcis_containment, epcis_derivations) lose their
 * foreign keys to epcis_event_ids; the statement trigger that already deletes the events of deleted
 * ids deletes their edges too.
 *
 * A foreign key is checked row by row: one look-up into epcis_event_ids per edge inserted, about a
 * sixth of PostgreSQL's work per ingested event (an event has one to a few edges). The rule it
 * checked is kept by the one writer, as for epcis_events, which never had one (see
 * EventsByRecordTime1797300000000): the event store inserts an event's edges in the statement that
 * inserts its id, joined to the ids that statement inserted, so an edge always has its id, and a
 * delete goes through the ids (one statement, whatever its size), which now takes the edges along
 * with a join instead of a cascade per row.
 *
 * down() removes edges whose id is gone (they could only be written by hand meanwhile) and puts the
 * foreign keys and the events-only trigger back.
 */
export class EdgesWithoutForeignKeys1797400000000 implements MigrationInterface {
  name = 'EdgesWithoutForeignKeys1797400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "epcis_event_ids_delete_events"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM "epcis_events" e USING "gone" g WHERE e."event_id" = g."event_id";
        ${EDGES.map(([table]) => `DELETE FROM "${table}" x USING "gone" g WHERE x."event_id" = g."event_id";`).join('\n        ')}
        RETURN NULL;
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "epcis_event_ids_delete_events"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM "epcis_events" e USING "gone" g WHERE e."event_id" = g."event_id";
        RETURN NULL;
      END $$`);
    for (const [table, constraint] of EDGES) {
      await queryRunner.query(`DELETE FROM "${table}" x WHERE NOT EXISTS (SELECT 1 FROM "epcis_event_ids" k WHERE k."event_id" = x."event_id")`);
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("event_id") REFERENCES "epcis_event_ids"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      );
    }
  }
}
