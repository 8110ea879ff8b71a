import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Hash partitions per table. Fixed here: changing it later means rewriting the table (docs/scaling.md). */
export const HASH_PARTITIONS = 16;

/** Where the partitions live, so that `public` keeps one table per entity (what TypeORM and operators see). */
export const PARTITION_SCHEMA = 'idis_partitions';

export const EDGES: Array<[table: string, constraint: string]> = [
  ['epcis_event_identifiers', 'fk_epcis_event_identifiers_event'],
  ['epcis_containment', 'fk_epcis_containment_event'],
  ['epcis_derivations', 'fk_epcis_derivations_event'],
];

const IDENTIFIER_COLUMNS = `"handle_key" character varying(255) COLLATE "C" NOT NULL, "handle" character varying(255) NOT NULL, "prefix_key" character varying(64) COLLATE "C" NOT NULL, "values" jsonb NOT NULL, "template_version" character varying(128), "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`;
const IDENTIFIER_NAMES = `"handle_key", "handle", "prefix_key", "values", "template_version", "version", "created_at", "updated_at"`;

export const EVENT_COLUMNS = `"event_id" text NOT NULL, "hash_id" text NOT NULL, "event_type" text NOT NULL, "enterprise_prefix" text NOT NULL, "event_time" TIMESTAMP WITH TIME ZONE NOT NULL, "event_time_zone_offset" text NOT NULL, "record_time" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "action" text, "biz_step" text, "disposition" text, "read_point" text, "biz_location" text, "error_declared_at" TIMESTAMP WITH TIME ZONE, "error_reason" text, "corrective_event_ids" text array, "source" text NOT NULL, "document" jsonb NOT NULL`;
export const EVENT_NAMES = `"event_id", "hash_id", "event_type", "enterprise_prefix", "event_time", "event_time_zone_offset", "record_time", "action", "biz_step", "disposition", "read_point", "biz_location", "error_declared_at", "error_reason", "corrective_event_ids", "source", "document"`;

/** The secondary indexes of epcis_events, unchanged by partitioning (each partition gets its own). */
export const EVENT_INDEXES = [
  `CREATE INDEX "ix_epcis_events_hash_id" ON "epcis_events" ("hash_id")`,
  `CREATE INDEX "ix_epcis_events_biz_step" ON "epcis_events" ("biz_step")`,
  `CREATE INDEX "ix_epcis_events_time" ON "epcis_events" ("event_time", "event_id")`,
  `CREATE INDEX "ix_epcis_events_prefix_time" ON "epcis_events" ("enterprise_prefix", "event_time", "event_id")`,
  `CREATE INDEX "ix_epcis_events_record_time" ON "epcis_events" ("record_time")`,
];

/**
 * The partitioned store for very large nodes (issue 13 item 3, docs/scaling.md): identifiers and
 * EPCIS events become PostgreSQL declarative hash-partitioned tables (events are ranged by time by
 * the next migration, EventsByRecordTime1797300000000), HASH_PARTITIONS partitions
 * each in the schema idis_partitions, so that every partition's indexes stay a fraction of the
 * whole. A populated database is converted in place: new partitioned table, rows moved with one
 * INSERT … SELECT, old table dropped, names swapped, keys, checks, indexes and foreign keys made
 * again (on the loaded rows, which is faster than maintaining them row by row). The whole migration
 * is one transaction (migrationsTransactionMode 'all'): the node is stopped for as long as the rows
 * take to copy — an operator of a very large node converts before it is one.
 *
 * identifiers — HASH (prefix_key). A key of a partitioned table must contain the partition key, so
 * the primary key becomes (handle_key, prefix_key), handle_key first so that a lookup by handle_key
 * alone still descends the index. The handle stays unique on its own: ck_identifiers_prefix_of_handle
 * makes prefix_key a function of handle_key (the key's part before its first "/", which is how
 * @idis/identifier derives it), so two rows with the same handle_key necessarily have the same
 * prefix_key, land in the same partition and meet the same primary key. Every ON CONFLICT names
 * (handle_key, prefix_key) now. A prefix's identifiers share one partition: listing, counting and
 * searching under a prefix read one partition, and a resolution names the prefix so it reads one too.
 *
 * epcis_events — HASH (event_id) here, because both of its keys contain event_id only: the owner's
 * key (enterprise_prefix, event_id) that makes a redelivery a duplicate (ON CONFLICT DO NOTHING), and
 * the node-wide unique event_id that refuses the same eventID from another enterprise and is the
 * target of the edge tables' foreign keys. The next migration, EventsByRecordTime1797300000000,
 * moves those keys into an unpartitioned table of event ids (epcis_event_ids) and ranges the events
 * by month of record_time, as an event log is appended; its down() brings this layout back.
 * The edge tables stay as they are: they are read both by identifier (trace) and by event (a page
 * of events), so a partition key on either column would cost the other path one probe per partition.
 *
 * down() moves the rows back into plain tables with the previous keys.
 */
export class PartitionedStore1797200000000 implements MigrationInterface {
  name = 'PartitionedStore1797200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${PARTITION_SCHEMA}"`);

    // identifiers
    await rebuildTable(queryRunner, 'identifiers', IDENTIFIER_COLUMNS, IDENTIFIER_NAMES, 'prefix_key');
    await addKey(queryRunner, 'identifiers', 'pk_identifiers', `PRIMARY KEY ("handle_key", "prefix_key")`);
    await queryRunner.query(`ALTER TABLE "identifiers" ADD CONSTRAINT "ck_identifiers_version" CHECK ("version" > 0)`);
    await queryRunner.query(`ALTER TABLE "identifiers" ADD CONSTRAINT "ck_identifiers_prefix_of_handle" CHECK (split_part("handle_key", '/', 1) = "prefix_key")`);
    await queryRunner.query(`ALTER TABLE "identifiers" ADD CONSTRAINT "fk_identifiers_prefix" FOREIGN KEY ("prefix_key") REFERENCES "enterprise_prefixes"("prefix_key") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await hashEventsById(queryRunner);

    await queryRunner.query(`ANALYZE "identifiers"`);
    await queryRunner.query(`ANALYZE "epcis_events"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
    await rebuildTable(queryRunner, 'epcis_events', EVENT_COLUMNS, EVENT_NAMES);
    await queryRunner.query(`ALTER TABLE "epcis_events" ADD CONSTRAINT "pk_epcis_events" PRIMARY KEY ("enterprise_prefix", "event_id")`);
    await queryRunner.query(`ALTER TABLE "epcis_events" ADD CONSTRAINT "uq_epcis_events_event_id" UNIQUE ("event_id")`);
    for (const index of EVENT_INDEXES) await queryRunner.query(index);
    for (const [table, constraint] of EDGES) await addEdgeForeignKey(queryRunner, table, constraint);

    await rebuildTable(queryRunner, 'identifiers', IDENTIFIER_COLUMNS, IDENTIFIER_NAMES);
    await queryRunner.query(`ALTER TABLE "identifiers" ADD CONSTRAINT "PK_f4bf4bb95e39e45a7141bacd833" PRIMARY KEY ("handle_key")`);
    await queryRunner.query(`ALTER TABLE "identifiers" ADD CONSTRAINT "ck_identifiers_version" CHECK ("version" > 0)`);
    await queryRunner.query(`ALTER TABLE "identifiers" ADD CONSTRAINT "fk_identifiers_prefix" FOREIGN KEY ("prefix_key") REFERENCES "enterprise_prefixes"("prefix_key") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await queryRunner.query(`DROP SCHEMA "${PARTITION_SCHEMA}"`);
  }
}

/**
 * epcis_events as this migration leaves it: HASH (event_id) with its two keys, its indexes and the
 * edges' foreign keys on its unique event_id (off while the table is swapped). Also the down() of
 * the migration that ranges events by record time.
 */
export async function hashEventsById(queryRunner: QueryRunner): Promise<void> {
  for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
  await rebuildTable(queryRunner, 'epcis_events', EVENT_COLUMNS, EVENT_NAMES, 'event_id');
  await addKey(queryRunner, 'epcis_events', 'pk_epcis_events', `PRIMARY KEY ("enterprise_prefix", "event_id")`);
  await addKey(queryRunner, 'epcis_events', 'uq_epcis_events_event_id', `UNIQUE ("event_id")`);
  for (const index of EVENT_INDEXES) await queryRunner.query(index);
  for (const [table, constraint] of EDGES) await addEdgeForeignKey(queryRunner, table, constraint);
}

/** The suffix of partition `i` in the names of its table and its keys (_h00 …). */
function partitionSuffix(i: number): string {
  return `_h${String(i).padStart(2, '0')}`;
}

/**
 * Replaces `table` by a new one with `columns` holding the same rows (`names`): hash-partitioned
 * by `partitionKey` into HASH_PARTITIONS partitions (idis_partitions.identifiers_h00 …, named after
 * the table they serve once renamed), or a plain table without it. Keys, checks and indexes are the
 * caller's to add afterwards.
 */
export async function rebuildTable(queryRunner: QueryRunner, table: string, columns: string, names: string, partitionKey?: string): Promise<void> {
  const building = `${table}_${partitionKey ? 'partitioned' : 'plain'}`;
  await queryRunner.query(`CREATE TABLE "${building}" (${columns})${partitionKey ? ` PARTITION BY HASH ("${partitionKey}")` : ''}`);
  if (partitionKey) {
    for (let i = 0; i < HASH_PARTITIONS; i += 1) {
      await queryRunner.query(`CREATE TABLE "${PARTITION_SCHEMA}"."${table}${partitionSuffix(i)}" PARTITION OF "${building}" FOR VALUES WITH (MODULUS ${HASH_PARTITIONS}, REMAINDER ${i})`);
    }
  }
  await queryRunner.query(`INSERT INTO "${building}" (${names}) SELECT ${names} FROM "${table}"`);
  await queryRunner.query(`DROP TABLE "${table}"`);
  await queryRunner.query(`ALTER TABLE "${building}" RENAME TO "${table}"`);
}

/**
 * A key on the partitioned table, made partition by partition first under the parent's name plus
 * the partition's suffix (uq_epcis_events_event_id_h03), then on the parent, which adopts them. A
 * violation names the partition's constraint, so code that recognises a key by name (the event
 * store's eventID conflict, until EventsByRecordTime1797300000000 moved it to epcis_event_ids)
 * sees the parent's name in it.
 */
async function addKey(queryRunner: QueryRunner, table: string, constraint: string, definition: string): Promise<void> {
  for (let i = 0; i < HASH_PARTITIONS; i += 1) {
    const suffix = partitionSuffix(i);
    await queryRunner.query(`ALTER TABLE "${PARTITION_SCHEMA}"."${table}${suffix}" ADD CONSTRAINT "${constraint}${suffix}" ${definition}`);
  }
  await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" ${definition}`);
}

function addEdgeForeignKey(queryRunner: QueryRunner, table: string, constraint: string): Promise<unknown> {
  return queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
}
