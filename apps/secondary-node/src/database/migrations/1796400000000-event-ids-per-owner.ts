import type { MigrationInterface, QueryRunner } from 'typeorm';

const EDGES: Array<[table: string, constraint: string]> = [
  ['epcis_event_identifiers', 'fk_epcis_event_identifiers_event'],
  ['epcis_containment', 'fk_epcis_containment_event'],
  ['epcis_derivations', 'fk_epcis_derivations_event'],
];

/**
 * Events are keyed by their owner: (enterprise_prefix, event_id). A redelivery by the same owner
 * meets the primary key and is a duplicate; an eventID another enterprise already uses meets the
 * unique event_id (kept, so that an eventID names one event on this node for readers and edges)
 * and is refused as a conflict instead of being dropped as a "duplicate". Existing rows stay.
 */
export class EventIdsPerOwner1796400000000 implements MigrationInterface {
  name = 'EventIdsPerOwner1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
    await queryRunner.query(`ALTER TABLE "epcis_events" DROP CONSTRAINT "pk_epcis_events"`);
    await queryRunner.query(`ALTER TABLE "epcis_events" ADD CONSTRAINT "pk_epcis_events" PRIMARY KEY ("enterprise_prefix", "event_id")`);
    await queryRunner.query(`ALTER TABLE "epcis_events" ADD CONSTRAINT "uq_epcis_events_event_id" UNIQUE ("event_id")`);
    for (const [table, constraint] of EDGES) {
      await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
    await queryRunner.query(`ALTER TABLE "epcis_events" DROP CONSTRAINT "uq_epcis_events_event_id"`);
    await queryRunner.query(`ALTER TABLE "epcis_events" DROP CONSTRAINT "pk_epcis_events"`);
    await queryRunner.query(`ALTER TABLE "epcis_events" ADD CONSTRAINT "pk_epcis_events" PRIMARY KEY ("event_id")`);
    for (const [table, constraint] of EDGES) {
      await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
  }
}
