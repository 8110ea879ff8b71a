import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { EventPartitionKeeper } from '../../apps/secondary-node/src/traceability/store/event-partition-keeper';
import { EVENT_PARTITION_SCHEMA, monthsAhead } from '../../apps/secondary-node/src/traceability/store/event-partitions';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The upkeep of the month partitions of epcis_events: every replica runs it, it makes the current
 * month's partition and the next two when they are missing, twice or at once makes no difference,
 * and rows that had landed in the default partition move into the month made for them.
 */
describe('EventPartitionKeeper', () => {
  let db: TestDatabase;
  let replicaA: DataSource;
  let replicaB: DataSource;

  const partitions = async () =>
    (
      await db.client.query<{ name: string; bound: string }>(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE i.inhparent = 'public.epcis_events'::regclass AND n.nspname = $1 ORDER BY c.relname`,
        [EVENT_PARTITION_SCHEMA],
      )
    ).rows;
  const names = async () => (await partitions()).map((p) => p.name);
  const count = async (sql: string, params: unknown[] = []) => (await db.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
  /** An event written as the event store writes it (its id first), at an explicit record time. */
  const storeAt = async (eventId: string, recordTime: string) => {
    await db.client.query(`INSERT INTO epcis_event_ids (event_id, enterprise_prefix, record_time) VALUES ($1, '88.118.8', $2)`, [eventId, recordTime]);
    await db.client.query(
      `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, record_time, source, document)
       VALUES ($1, 'h', 'ObjectEvent', '88.118.8', now(), '+08:00', $2, 'mqtt', '{}')`,
      [eventId, recordTime],
    );
    await db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('urn:epc:id:sgtin:4012345.011111.1', $1, 'epc')`, [eventId]);
  };

  beforeAll(async () => {
    db = await createTestDatabase('event_partitions');
    // Partition bounds are shown in the session's time zone: UTC, as they are written.
    await db.client.query(`SET TIME ZONE 'UTC'`);
    replicaA = new DataSource(dataSourceOptions(db.url, { poolSize: 2 }));
    await replicaA.initialize();
    await replicaA.runMigrations({ transaction: 'all' });
    replicaB = new DataSource(dataSourceOptions(db.url, { poolSize: 2 }));
    await replicaB.initialize();
  });

  afterAll(async () => {
    for (const replica of [replicaA, replicaB]) if (replica?.isInitialized) await replica.destroy();
    await db?.drop();
  });

  it('finds the current month and the next two made by the migration, and the default partition', async () => {
    const ahead = monthsAhead(new Date()).map((m) => m.name);
    expect(ahead).toHaveLength(3);
    expect(await names()).toEqual([...ahead, 'epcis_events_default'].sort());
    // Started as the node starts it: its first run finds nothing to do, and stopping waits for it.
    const keeper = new EventPartitionKeeper(replicaA);
    keeper.onApplicationBootstrap();
    await keeper.onApplicationShutdown();
    expect(await names()).toEqual([...ahead, 'epcis_events_default'].sort());
    expect(await new EventPartitionKeeper(replicaA).ensureAhead()).toEqual([]);
  });

  it('makes the months ahead of a later date, once: a second run makes nothing', async () => {
    const keeper = new EventPartitionKeeper(replicaA);
    expect(await keeper.ensureAhead(new Date('2030-11-20T12:00:00Z'))).toEqual(['epcis_events_2030_11', 'epcis_events_2030_12', 'epcis_events_2031_01']);
    expect(await keeper.ensureAhead(new Date('2030-11-20T12:00:00Z'))).toEqual([]);
    // One month later only the one month that is new.
    expect(await keeper.ensureAhead(new Date('2030-12-01T00:00:00Z'))).toEqual(['epcis_events_2031_02']);
    const made = (await partitions()).find((p) => p.name === 'epcis_events_2030_12');
    expect(made?.bound).toBe(`FOR VALUES FROM ('2030-12-01 00:00:00+00') TO ('2031-01-01 00:00:00+00')`);
    // The partition has the parent's keys and indexes, and takes the events of its month.
    const indexes = await db.client.query<{ n: number }>(
      `SELECT (SELECT count(*)::int FROM pg_index WHERE indrelid = '${EVENT_PARTITION_SCHEMA}.epcis_events_2030_12'::regclass) AS n,
              (SELECT count(*)::int FROM pg_index WHERE indrelid = 'epcis_events'::regclass) AS parent`,
    );
    expect(indexes.rows[0]).toEqual({ n: 6, parent: 6 });
    await storeAt('urn:uuid:dec-2030', '2030-12-24T18:00:00Z');
    expect((await db.client.query(`SELECT tableoid::regclass::text AS t FROM epcis_events WHERE event_id = 'urn:uuid:dec-2030'`)).rows).toEqual([
      { t: `${EVENT_PARTITION_SCHEMA}.epcis_events_2030_12` },
    ]);
    await expect(
      db.client.query(
        `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, record_time, source, document)
         VALUES ('urn:uuid:dec-2030', 'h', 'ObjectEvent', '88.118.8', now(), '+08:00', '2030-12-24T18:00:00Z', 'mqtt', '{}')`,
      ),
    ).rejects.toThrow(/epcis_events_2030_12_pkey/);
  });

  it('lets two replicas run it at the same time: each month is made once and neither fails', async () => {
    const at = new Date('2033-06-15T00:00:00Z');
    const [a, b] = await Promise.all([new EventPartitionKeeper(replicaA).ensureAhead(at), new EventPartitionKeeper(replicaB).ensureAhead(at)]);
    expect([...a, ...b].sort()).toEqual(['epcis_events_2033_06', 'epcis_events_2033_07', 'epcis_events_2033_08']);
    expect((await names()).filter((n) => n.startsWith('epcis_events_2033_'))).toEqual(['epcis_events_2033_06', 'epcis_events_2033_07', 'epcis_events_2033_08']);
  });

  it('moves events the default partition held for a new month into it, keeping their ids and edges', async () => {
    await storeAt('urn:uuid:early-1', '2035-03-02T00:00:00Z');
    await storeAt('urn:uuid:early-2', '2035-03-31T23:59:59.999Z');
    await storeAt('urn:uuid:later', '2035-09-01T00:00:00Z');
    expect(await count(`${EVENT_PARTITION_SCHEMA}.epcis_events_default`)).toBe(3);

    expect(await new EventPartitionKeeper(replicaA).ensureAhead(new Date('2035-02-10T00:00:00Z'))).toEqual([
      'epcis_events_2035_02',
      'epcis_events_2035_03',
      'epcis_events_2035_04',
    ]);
    const placed = await db.client.query<{ event_id: string; t: string }>(
      `SELECT event_id, tableoid::regclass::text AS t FROM epcis_events WHERE event_id LIKE 'urn:uuid:early-%' OR event_id = 'urn:uuid:later' ORDER BY event_id`,
    );
    expect(placed.rows).toEqual([
      { event_id: 'urn:uuid:early-1', t: `${EVENT_PARTITION_SCHEMA}.epcis_events_2035_03` },
      { event_id: 'urn:uuid:early-2', t: `${EVENT_PARTITION_SCHEMA}.epcis_events_2035_03` },
      { event_id: 'urn:uuid:later', t: `${EVENT_PARTITION_SCHEMA}.epcis_events_default` },
    ]);
    expect(await count(`epcis_event_ids WHERE event_id LIKE 'urn:uuid:early-%'`)).toBe(2);
    expect(await count(`epcis_event_identifiers WHERE event_id LIKE 'urn:uuid:early-%'`)).toBe(2);
    // The moved rows are still their ids' events: deleting an id still deletes the event and its edges.
    await db.client.query(`DELETE FROM epcis_event_ids WHERE event_id = 'urn:uuid:early-1'`);
    expect(await count(`epcis_events WHERE event_id = 'urn:uuid:early-1'`)).toBe(0);
    expect(await count(`epcis_event_identifiers WHERE event_id = 'urn:uuid:early-1'`)).toBe(0);
  });

  it('gives up on a partition it cannot lock in time, and makes it on a later run', async () => {
    const blocker = new DataSource(dataSourceOptions(db.url, { poolSize: 1 }));
    await blocker.initialize();
    const runner = blocker.createQueryRunner();
    try {
      await runner.startTransaction();
      // A long read of the events holds the default partition, which attaching a month must lock.
      await runner.query(`SELECT count(*) FROM epcis_events`);
      const started = Date.now();
      await expect(new EventPartitionKeeper(replicaA).ensureAhead(new Date('2037-01-10T00:00:00Z'))).rejects.toThrow(/lock timeout/);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect((await names()).some((n) => n.startsWith('epcis_events_2037_'))).toBe(false);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
      await blocker.destroy();
    }
    expect(await new EventPartitionKeeper(replicaA).ensureAhead(new Date('2037-01-10T00:00:00Z'))).toEqual(['epcis_events_2037_01', 'epcis_events_2037_02', 'epcis_events_2037_03']);
  });
});
