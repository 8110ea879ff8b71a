import 'reflect-metadata';
import { parseEpcisPayload } from '@idis/epcis';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrations } from '../../apps/secondary-node/src/database/migrations';
import { EDGES, HASH_PARTITIONS, PARTITION_SCHEMA, PartitionedStore1797200000000 } from '../../apps/secondary-node/src/database/migrations/1797200000000-partitioned-store';
import { EventsByRecordTime1797300000000 } from '../../apps/secondary-node/src/database/migrations/1797300000000-events-by-record-time';
import { EventHub } from '../../apps/secondary-node/src/events/event-hub';
import { monthsAhead } from '../../apps/secondary-node/src/traceability/store/event-partitions';
import { EventStore, isEventIdConflict, type StoreItem } from '../../apps/secondary-node/src/traceability/store/event-store';
import { aggregationEvent, epcisDocument, objectEvent, transformationEvent } from '../support/epcis-seed';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The migrations that partition the big tables, on a node that already holds rows: PartitionedStore
 * (identifiers hashed by prefix, events hashed by event id), then EventsByRecordTime (events by
 * month of record time, their keys moved to epcis_event_ids), and EdgesWithoutForeignKeys (the edges'
 * foreign keys replaced by the ids' delete trigger). Every row and edge is kept, the keys
 * still mean what they meant (a handle is unique, an event is unique per owner and its eventID
 * node-wide, edges need their event and go with it), and down() gives the hash partitions, then
 * plain tables, back.
 */
const PREFIXES = ['88.118.8', '88.118.9', '88.118.10', '88.118.11'];
const IDENTIFIERS_PER_PREFIX = 250;
/** Recorded 8 hours apart from 2026-01-15: January to May 2026. */
const EVENTS = 400;
const EVENT_MONTHS = ['2026_01', '2026_02', '2026_03', '2026_04', '2026_05'];

describe('migrations PartitionedStore and EventsByRecordTime', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  const fingerprint = async (table: string, order: string) =>
    (await db.client.query<{ digest: string; n: string }>(`SELECT md5(string_agg(t::text, '|' ORDER BY ${order})) AS digest, count(*) AS n FROM ${table} t`)).rows[0];
  const snapshot = async () => ({
    identifiers: await fingerprint('(SELECT handle_key, handle, prefix_key, "values", template_version, version, created_at, updated_at FROM identifiers)', 't.handle_key'),
    events: await fingerprint(
      '(SELECT event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, record_time, action, biz_step, disposition, read_point, biz_location, error_declared_at, error_reason, corrective_event_ids, source, document FROM epcis_events)',
      't.event_id',
    ),
    edges: await fingerprint('epcis_event_identifiers', 't.identifier, t.event_id, t.role'),
  });
  const leafPartitions = async (table: string) =>
    (
      await db.client.query<{ schema: string; n: string }>(
        `SELECT n.nspname AS schema, count(*) AS n FROM pg_partition_tree($1) t JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.isleaf GROUP BY 1`,
        [table],
      )
    ).rows;

  let before: Awaited<ReturnType<typeof snapshot>>;
  /** Every migration, the ones after EventsByRecordTime included. */
  let latest: DataSource | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('partitioned_store');
    // Partition bounds are shown in the session's time zone: UTC, as they are written.
    await db.client.query(`SET TIME ZONE 'UTC'`);
    const earlier = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 1 }), migrations: migrations.slice(0, migrations.indexOf(PartitionedStore1797200000000)) });
    await earlier.initialize();
    await earlier.runMigrations({ transaction: 'all' });
    await earlier.destroy();

    for (const [n, prefix] of PREFIXES.entries()) {
      const application = `00000000-0000-4000-8000-00000000000${n}`;
      await db.client.query(
        `INSERT INTO enterprise_applications (id, org_name, credit_code, contact_name, contact_phone, contact_email, requested_prefix, username, password_hash, password_digest_sealed)
         VALUES ($1, 'Org', $2, 'C', 'P', 'e@example.cn', $3, $4, 'h', 'd')`,
        [application, `91420100MA4K0000${n}X`, prefix, `user${n}`],
      );
      await db.client.query(`INSERT INTO enterprise_prefixes (prefix_key, prefix, status, application_id) VALUES ($1, $1, 'active', $2)`, [prefix, application]);
      await db.client.query(
        `INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version, version)
         SELECT lower(h), h, $1, jsonb_build_array(jsonb_build_object('index', 1, 'type', 'URL', 'data', jsonb_build_object('format', 'string', 'value', 'https://example.cn/' || i))), NULL, 1 + i % 3
           FROM (SELECT i, $1 || '/Item-' || i || '/Part' AS h FROM generate_series(1, $2::int) i) s`,
        [prefix, IDENTIFIERS_PER_PREFIX],
      );
    }
    await db.client.query(
      `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, record_time, biz_step, source, document, corrective_event_ids)
       SELECT 'urn:uuid:ev-' || i, 'ni:///sha-256;' || i, 'ObjectEvent', ($1::text[])[1 + i % 4], timestamptz '2026-01-01Z' + i * interval '1 minute', '+08:00',
              timestamptz '2026-01-15Z' + i * interval '8 hours', 'shipping', 'mqtt', jsonb_build_object('eventID', 'urn:uuid:ev-' || i),
              CASE WHEN i % 50 = 0 THEN ARRAY['urn:uuid:ev-' || (i - 1)] END
         FROM generate_series(1, $2::int) i`,
      [PREFIXES, EVENTS],
    );
    await db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) SELECT 'urn:epc:id:sgtin:4012345.011111.' || i, 'urn:uuid:ev-' || i, 'epc' FROM generate_series(1, $1::int) i`, [EVENTS]);
    await db.client.query(`INSERT INTO epcis_containment (parent, child, event_id, action, event_time) VALUES ('urn:epc:id:sscc:1', 'urn:epc:id:sgtin:1', 'urn:uuid:ev-7', 'ADD', now())`);
    before = await snapshot();

    // Up to EventsByRecordTime: undoLastMigration below undoes that one; the edges' migration after it has a test of its own.
    dataSource = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 2 }), migrations: migrations.slice(0, migrations.indexOf(EventsByRecordTime1797300000000) + 1) });
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    expect(applied.map((m) => m.name)).toEqual(['PartitionedStore1797200000000', 'EventsByRecordTime1797300000000']);
  });

  const eventPartitions = async () =>
    (
      await db.client.query<{ schema: string; name: string; bound: string }>(
        `SELECT n.nspname AS schema, c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE i.inhparent = 'public.epcis_events'::regclass ORDER BY c.relname`,
      )
    ).rows;
  /** The partitions an EXPLAIN of `sql` reads (month suffixes, or "default"). */
  const partitionsRead = async (sql: string, params: unknown[]) => {
    const plan = await db.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return [...new Set(plan.rows.flatMap((r) => [...r['QUERY PLAN'].matchAll(/\bepcis_events_(\d{4}_\d{2}|default)\b/g)].map((m) => m[1])))].sort();
  };
  const store = () => new EventStore(dataSource, new EventHub());
  const item = (prefix: string, eventID: string): StoreItem => {
    const parsed = parseEpcisPayload(JSON.stringify(epcisDocument([objectEvent({ time: '2026-03-01T10:00:00.000+08:00', eventID, epcs: [`urn:epc:id:sgtin:4012345.011111.${eventID.length}`] })])));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return { event: parsed.events[0], enterprisePrefix: prefix, source: 'mqtt' };
  };

  afterAll(async () => {
    if (latest?.isInitialized) await latest.destroy();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('keeps every identifier, event and edge: identifiers in hash partitions, events in month partitions, with their ids', async () => {
    expect(Number(before.identifiers.n)).toBe(PREFIXES.length * IDENTIFIERS_PER_PREFIX);
    expect(Number(before.events.n)).toBe(EVENTS);
    expect(await snapshot()).toEqual(before);
    expect(await leafPartitions('identifiers')).toEqual([{ schema: PARTITION_SCHEMA, n: String(HASH_PARTITIONS) }]);
    const kinds = await db.client.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind FROM pg_class WHERE relname IN ('identifiers', 'epcis_events', 'epcis_event_ids') AND relnamespace = 'public'::regnamespace ORDER BY relname`,
    );
    expect(kinds.rows).toEqual([{ relname: 'epcis_event_ids', relkind: 'r' }, { relname: 'epcis_events', relkind: 'p' }, { relname: 'identifiers', relkind: 'p' }]);
    const keys = await db.client.query<{ table: string; key: string }>(
      `SELECT c.relname AS table, pg_get_partkeydef(c.oid) AS key FROM pg_class c WHERE c.oid IN ('identifiers'::regclass, 'epcis_events'::regclass) ORDER BY 1`,
    );
    expect(keys.rows).toEqual([{ table: 'epcis_events', key: 'RANGE (record_time)' }, { table: 'identifiers', key: `HASH (prefix_key)` }]);
    // A prefix's identifiers share one partition.
    const perPrefix = await db.client.query<{ n: string }>(`SELECT count(DISTINCT tableoid) AS n FROM identifiers GROUP BY prefix_key`);
    expect(perPrefix.rows.every((r) => r.n === '1')).toBe(true);

    // One partition per month that holds events, the current month and the two after it, and the default.
    const months = [...new Set([...EVENT_MONTHS.map((m) => `epcis_events_${m}`), ...monthsAhead(new Date()).map((m) => m.name)])].sort();
    const partitions = await eventPartitions();
    expect(partitions.map((p) => p.name)).toEqual([...months, 'epcis_events_default'].sort());
    expect(partitions.every((p) => p.schema === PARTITION_SCHEMA)).toBe(true);
    expect(partitions.find((p) => p.name === 'epcis_events_2026_03')?.bound).toBe(`FOR VALUES FROM ('2026-03-01 00:00:00+00') TO ('2026-04-01 00:00:00+00')`);
    expect(partitions.find((p) => p.name === 'epcis_events_default')?.bound).toBe('DEFAULT');
    // Each event is in the partition of its record time's month; none in the default.
    const placed = await db.client.query<{ partition: string; n: number }>(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM epcis_events
        WHERE tableoid::regclass::text <> '${PARTITION_SCHEMA}.epcis_events_' || to_char(record_time AT TIME ZONE 'UTC', 'YYYY_MM') GROUP BY 1`,
    );
    expect(placed.rows).toEqual([]);
    const perMonth = await db.client.query<{ n: number }>(`SELECT count(DISTINCT tableoid)::int AS n FROM epcis_events`);
    expect(perMonth.rows[0].n).toBe(EVENT_MONTHS.length);
    // Every event has its id, with its owner and its record time.
    const ids = await db.client.query<{ ids: number; matching: number }>(
      `SELECT (SELECT count(*)::int FROM epcis_event_ids) AS ids,
              (SELECT count(*)::int FROM epcis_event_ids k JOIN epcis_events e ON e.event_id = k.event_id AND e.enterprise_prefix = k.enterprise_prefix AND e.record_time = k.record_time) AS matching`,
    );
    expect(ids.rows).toEqual([{ ids: EVENTS, matching: EVENTS }]);
    // Other tables are untouched by the move: a lookup by handle reads one partition.
    const plan = await db.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT * FROM identifiers WHERE handle_key = '88.118.8/item-1/part' AND prefix_key = '88.118.8'`);
    expect(plan.rows.filter((r) => /on identifiers_h\d\d/.test(r['QUERY PLAN']))).toHaveLength(1);
  });

  it('reads only the months a record-time range names (GE_recordTime / LT_recordTime, as the query repository writes them)', async () => {
    const query = `SELECT e.event_id FROM epcis_events e WHERE e.record_time >= $1::timestamptz AND e.record_time < $2::timestamptz ORDER BY e.record_time ASC, e.event_id ASC LIMIT 100`;
    expect(await partitionsRead(query, ['2026-02-01T00:00:00Z', '2026-04-01T00:00:00Z'])).toEqual(['2026_02', '2026_03']);
    expect(await partitionsRead(query, ['2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'])).toEqual(['2026_03']);
    // Beyond every month partition: the default alone.
    expect(await partitionsRead(query, ['2040-01-01T00:00:00Z', '2040-02-01T00:00:00Z'])).toEqual(['default']);
    // And the pruned read still finds the rows (2026-03-01 … 2026-03-31: 3 a day).
    const rows = await db.client.query(query.replace('LIMIT 100', ''), ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z']);
    expect(rows.rows).toHaveLength(93);
  });

  it('keeps a handle unique: the same key again is refused, and the prefix can only be the handle’s own', async () => {
    await expect(
      db.client.query(`INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ('88.118.8/item-1/part', '88.118.8/ITEM-1/Part', '88.118.8', '[]')`),
    ).rejects.toThrow(/pk_identifiers_h\d\d/);
    // Another prefix_key for the same handle_key (which would dodge the key in another partition) breaks the check.
    await expect(
      db.client.query(`INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ('88.118.8/item-1/part', '88.118.8/item-1/part', '88.118.9', '[]')`),
    ).rejects.toThrow(/ck_identifiers_prefix_of_handle/);
    // A suffix holding "/" still has the part before the first "/" as its prefix.
    await expect(
      db.client.query(`INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ('88.118.8/a/b', '88.118.8/a/b', '88.118.8/a', '[]')`),
    ).rejects.toThrow(/ck_identifiers_prefix_of_handle|fk_identifiers_prefix/);
    const upsert = (values: string) =>
      db.client.query<{ created: boolean; version: number }>(
        `INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ('88.118.9/new', '88.118.9/NEW', '88.118.9', $1::jsonb)
         ON CONFLICT (handle_key, prefix_key) DO UPDATE SET "values" = EXCLUDED."values", version = identifiers.version + 1
         RETURNING (identifiers.version = 1) AS created, version`,
        [values],
      );
    expect((await upsert('[]')).rows).toEqual([{ created: true, version: 1 }]);
    expect((await upsert('[{"index":1}]')).rows).toEqual([{ created: false, version: 2 }]);
    const rows = await db.client.query(`SELECT handle, "values" FROM identifiers WHERE handle_key = '88.118.9/new'`);
    expect(rows.rows).toEqual([{ handle: '88.118.9/NEW', values: [{ index: 1 }] }]);
    // The foreign key to enterprise_prefixes still holds.
    await expect(db.client.query(`INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ('88.999/x', '88.999/x', '88.999', '[]')`)).rejects.toThrow(/fk_identifiers_prefix/);
  });

  it('keeps events unique per owner and eventIDs unique node-wide through epcis_event_ids, with edges cascading', async () => {
    // urn:uuid:ev-1 belongs to 88.118.9 (PREFIXES[1 % 4]): its redelivery is a duplicate, nothing is added.
    const count = async (sql: string) => (await db.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0].n;
    expect(await store().storeBatch([item('88.118.9', 'urn:uuid:ev-1')])).toEqual(['duplicate']);
    expect(await count(`epcis_events WHERE event_id = 'urn:uuid:ev-1'`)).toBe(1);
    // The same eventID from another owner meets the node-wide key, recognised by the event store; the batch stores nothing.
    const failure = await store()
      .storeBatch([item('88.118.8', 'urn:uuid:new-1'), item('88.118.8', 'urn:uuid:ev-1')])
      .then(() => undefined, (error: unknown) => error);
    expect(String((failure as Error).message)).toMatch(/pk_epcis_event_ids/);
    expect(isEventIdConflict(failure)).toBe(true);
    expect(await count(`epcis_event_ids WHERE event_id = 'urn:uuid:new-1'`)).toBe(0);
    expect(await count(`epcis_events WHERE event_id = 'urn:uuid:new-1'`)).toBe(0);
    // Two owners of one new eventID in one batch: refused the same way.
    const inBatch = await store()
      .storeBatch([item('88.118.8', 'urn:uuid:new-2'), item('88.118.10', 'urn:uuid:new-2')])
      .then(() => undefined, (error: unknown) => error);
    expect(isEventIdConflict(inBatch)).toBe(true);
    // A new event is stored once, in the partition of the current month, with the record time of its id.
    expect(await store().storeBatch([item('88.118.8', 'urn:uuid:new-3'), item('88.118.8', 'urn:uuid:new-3')])).toEqual(['stored', 'duplicate']);
    expect(await store().storeBatch([item('88.118.8', 'urn:uuid:new-3')])).toEqual(['duplicate']);
    const stored = await db.client.query<{ partition: string; same: boolean }>(
      `SELECT e.tableoid::regclass::text AS partition, e.record_time = k.record_time AS same FROM epcis_events e JOIN epcis_event_ids k USING (event_id) WHERE event_id = 'urn:uuid:new-3'`,
    );
    expect(stored.rows).toEqual([{ partition: `${PARTITION_SCHEMA}.${monthsAhead(new Date())[0].name}`, same: true }]);
    expect(await count(`epcis_event_identifiers WHERE event_id = 'urn:uuid:new-3'`)).toBe(1);

    // An edge needs its event's id.
    await expect(db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('x', 'urn:uuid:missing', 'epc')`)).rejects.toThrow(/fk_epcis_event_identifiers_event/);
    // Deleting an event's id deletes the event and its edges.
    expect(await count(`epcis_containment WHERE event_id = 'urn:uuid:ev-7'`)).toBe(1);
    await db.client.query(`DELETE FROM epcis_event_ids WHERE event_id = 'urn:uuid:ev-7'`);
    expect(await count(`epcis_events WHERE event_id = 'urn:uuid:ev-7'`)).toBe(0);
    expect(await count(`epcis_containment WHERE event_id = 'urn:uuid:ev-7'`)).toBe(0);
    expect(await count(`epcis_event_identifiers WHERE event_id = 'urn:uuid:ev-7'`)).toBe(0);
    // A month retired at once: its ids deleted in one statement take their events and edges along, and nothing else.
    const february = `record_time >= '2026-02-01Z' AND record_time < '2026-03-01Z'`;
    const inFebruary = await count(`epcis_events WHERE ${february}`);
    expect(inFebruary).toBe(84);
    const total = await count('epcis_events');
    await db.client.query(`DELETE FROM epcis_event_ids WHERE ${february}`);
    expect(await count(`${PARTITION_SCHEMA}.epcis_events_2026_02`)).toBe(0);
    expect(await count('epcis_events')).toBe(total - inFebruary);
    expect(await count(`epcis_event_identifiers i WHERE NOT EXISTS (SELECT 1 FROM epcis_events e WHERE e.event_id = i.event_id)`)).toBe(0);
    expect(await count(`epcis_events e WHERE NOT EXISTS (SELECT 1 FROM epcis_event_ids k WHERE k.event_id = e.event_id)`)).toBe(0);
  });

  it('goes back to hash partitions, then to plain tables, with every row, and forward again; the entities then need no change', async () => {
    const now = await snapshot();
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await snapshot()).toEqual(now);
    expect(await leafPartitions('epcis_events')).toEqual([{ schema: PARTITION_SCHEMA, n: String(HASH_PARTITIONS) }]);
    expect((await db.client.query(`SELECT to_regclass('epcis_event_ids') AS t`)).rows).toEqual([{ t: null }]);
    // The keys are the event table's own again: a redelivery meets the owner's key, another owner the node-wide one.
    const insert = (prefix: string, id: string) =>
      db.client.query(
        `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, source, document)
         VALUES ($2, 'h', 'ObjectEvent', $1, now(), '+08:00', 'mqtt', '{}') ON CONFLICT (enterprise_prefix, event_id) DO NOTHING RETURNING event_id`,
        [prefix, id],
      );
    expect((await insert('88.118.9', 'urn:uuid:ev-1')).rows).toEqual([]);
    await expect(insert('88.118.8', 'urn:uuid:ev-1')).rejects.toThrow(/uq_epcis_events_event_id_h\d\d/);
    await expect(db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('x', 'urn:uuid:missing', 'epc')`)).rejects.toThrow(/fk_epcis_event_identifiers_event/);

    await dataSource.undoLastMigration({ transaction: 'all' });
    const kinds = await db.client.query<{ relname: string; relkind: string }>(`SELECT relname, relkind FROM pg_class WHERE relname IN ('identifiers', 'epcis_events') AND relnamespace = 'public'::regnamespace ORDER BY relname`);
    expect(kinds.rows).toEqual([{ relname: 'epcis_events', relkind: 'r' }, { relname: 'identifiers', relkind: 'r' }]);
    expect((await db.client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [PARTITION_SCHEMA])).rows[0].n).toBe(0);
    expect(await snapshot()).toEqual(now);
    await expect(
      db.client.query(`INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ('88.118.8/item-1/part', 'x', '88.118.8', '[]')`),
    ).rejects.toThrow(/PK_f4bf4bb95e39e45a7141bacd833/);

    await dataSource.runMigrations({ transaction: 'all' });
    expect(await snapshot()).toEqual(now);
    expect((await db.client.query(`SELECT count(*)::int AS n FROM epcis_event_ids`)).rows[0].n).toBe(Number(now.events.n));
    latest = new DataSource(dataSourceOptions(db.url, { poolSize: 1 }));
    await latest.initialize();
    expect((await latest.runMigrations({ transaction: 'all' })).map((m) => m.name)).toEqual(['EdgesWithoutForeignKeys1797400000000']);
    expect(await snapshot()).toEqual(now);
    const pending = await latest.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('EdgesWithoutForeignKeys: the edges have no foreign key, deleting ids still takes their events and edges along, and down() puts the keys back', async () => {
    const count = async (sql: string) => (await db.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0].n;
    const edgeKeys = () => count(`pg_constraint WHERE conname = ANY('{${EDGES.map(([, constraint]) => constraint).join(',')}}'::text[])`);
    const orphans = async () => {
      let n = 0;
      for (const [table] of EDGES) n += await count(`${table} x WHERE NOT EXISTS (SELECT 1 FROM epcis_event_ids k WHERE k.event_id = x.event_id)`);
      return n;
    };
    expect(await edgeKeys()).toBe(0);
    // One event with an edge in each table: deleting its id deletes all three and the event, nothing else.
    const victim = 'urn:uuid:ev-9';
    await db.client.query(`INSERT INTO epcis_containment (parent, child, event_id, action, event_time) VALUES ('urn:epc:id:sscc:9', 'urn:epc:id:sgtin:9', $1, 'ADD', now())`, [victim]);
    await db.client.query(`INSERT INTO epcis_derivations (input, output, event_id, event_time) VALUES ('urn:epc:id:sgtin:in', 'urn:epc:id:sgtin:out', $1, now())`, [victim]);
    const edgesOf = async (id: string) => {
      let n = 0;
      for (const [table] of EDGES) n += await count(`${table} WHERE event_id = '${id}'`);
      return n;
    };
    expect(await edgesOf(victim)).toBe(3);
    const events = await count('epcis_events');
    await db.client.query(`DELETE FROM epcis_event_ids WHERE event_id = $1`, [victim]);
    expect(await edgesOf(victim)).toBe(0);
    expect(await count(`epcis_events WHERE event_id = '${victim}'`)).toBe(0);
    expect(await count('epcis_events')).toBe(events - 1);
    // A month retired in one statement: its events and edges go, no edge is left without its id.
    const march = `record_time >= '2026-03-01Z' AND record_time < '2026-04-01Z'`;
    const inMarch = await count(`epcis_events WHERE ${march}`);
    expect(inMarch).toBeGreaterThan(0);
    const edges = await count('epcis_event_identifiers');
    const marchEdges = await count(`epcis_event_identifiers WHERE event_id IN (SELECT event_id FROM epcis_event_ids WHERE ${march})`);
    expect(marchEdges).toBeGreaterThan(0);
    await db.client.query(`DELETE FROM epcis_event_ids WHERE ${march}`);
    expect(await count(`${PARTITION_SCHEMA}.epcis_events_2026_03`)).toBe(0);
    expect(await count('epcis_events')).toBe(events - 1 - inMarch);
    expect(await count('epcis_event_identifiers')).toBe(edges - marchEdges);
    expect(await orphans()).toBe(0);

    // down(): an edge written by hand without its id is removed, the keys and the cascade are back.
    await db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('x', 'urn:uuid:missing', 'epc')`);
    expect(await orphans()).toBe(1);
    await latest!.undoLastMigration({ transaction: 'all' });
    expect(await edgeKeys()).toBe(EDGES.length);
    expect(await orphans()).toBe(0);
    await expect(db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('x', 'urn:uuid:missing', 'epc')`)).rejects.toThrow(/fk_epcis_event_identifiers_event/);
    await latest!.runMigrations({ transaction: 'all' });
    expect(await edgeKeys()).toBe(0);
  });

  it('stores the edges of events whose lists repeat an identifier once each, also when the batch repeats the event (the edges are plain inserts)', async () => {
    const count = async (sql: string) => (await db.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0].n;
    const time = '2026-03-02T10:00:00.000+08:00';
    const parsed = parseEpcisPayload(
      JSON.stringify(
        epcisDocument([
          objectEvent({ time, eventID: 'urn:uuid:rep-1', epcs: ['urn:epc:id:sgtin:4012345.011111.1', 'urn:epc:id:sgtin:4012345.011111.1', 'urn:epc:id:sgtin:4012345.011111.2'] }),
          aggregationEvent({ time, eventID: 'urn:uuid:rep-2', parent: 'urn:epc:id:sscc:4012345.0000000001', children: ['urn:epc:id:sgtin:4012345.011111.3', 'urn:epc:id:sgtin:4012345.011111.3'] }),
          transformationEvent({ time, eventID: 'urn:uuid:rep-3', inputs: ['urn:epc:id:sgtin:4012345.011111.4', 'urn:epc:id:sgtin:4012345.011111.4'], outputs: ['urn:epc:id:sgtin:4012345.011111.5'] }),
        ]),
      ),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const items: StoreItem[] = parsed.events.map((event) => ({ event, enterprisePrefix: '88.118.8', source: 'mqtt' }));
    expect(await store().storeBatch([...items, items[0]])).toEqual(['stored', 'stored', 'stored', 'duplicate']);
    expect(await count(`epcis_event_identifiers WHERE event_id = 'urn:uuid:rep-1'`)).toBe(2);
    expect(await count(`epcis_event_identifiers WHERE event_id = 'urn:uuid:rep-2'`)).toBe(2);
    expect(await count(`epcis_containment WHERE event_id = 'urn:uuid:rep-2'`)).toBe(1);
    expect(await count(`epcis_derivations WHERE event_id = 'urn:uuid:rep-3'`)).toBe(1);
    // Delivered again: duplicates, nothing added.
    const edges = await count('epcis_event_identifiers');
    expect(await store().storeBatch(items)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(await count('epcis_event_identifiers')).toBe(edges);
  });
});
