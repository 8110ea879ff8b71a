import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrations } from '../../apps/secondary-node/src/database/migrations';
import { HASH_PARTITIONS, PARTITION_SCHEMA, PartitionedStore1797200000000 } from '../../apps/secondary-node/src/database/migrations/1797200000000-partitioned-store';
import { isEventIdConflict } from '../../apps/secondary-node/src/traceability/store/event-store';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The migration that partitions identifiers (by prefix) and EPCIS events (by event id) on a node
 * that already holds rows: every row and edge is kept, the keys still mean what they meant (a handle
 * is unique, an event is unique per owner and its eventID node-wide), and down() gives plain tables back.
 */
const PREFIXES = ['88.118.8', '88.118.9', '88.118.10', '88.118.11'];
const IDENTIFIERS_PER_PREFIX = 250;
const EVENTS = 400;

describe('migration PartitionedStore', () => {
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

  beforeAll(async () => {
    db = await createTestDatabase('partitioned_store');
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
              timestamptz '2026-02-01Z' + i * interval '1 second', 'shipping', 'mqtt', jsonb_build_object('eventID', 'urn:uuid:ev-' || i),
              CASE WHEN i % 50 = 0 THEN ARRAY['urn:uuid:ev-' || (i - 1)] END
         FROM generate_series(1, $2::int) i`,
      [PREFIXES, EVENTS],
    );
    await db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) SELECT 'urn:epc:id:sgtin:4012345.011111.' || i, 'urn:uuid:ev-' || i, 'epc' FROM generate_series(1, $1::int) i`, [EVENTS]);
    await db.client.query(`INSERT INTO epcis_containment (parent, child, event_id, action, event_time) VALUES ('urn:epc:id:sscc:1', 'urn:epc:id:sgtin:1', 'urn:uuid:ev-7', 'ADD', now())`);
    before = await snapshot();

    dataSource = new DataSource(dataSourceOptions(db.url, { poolSize: 2 }));
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    expect(applied.map((m) => m.name)).toContain('PartitionedStore1797200000000');
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('keeps every identifier, event and edge, now in hash partitions of their own schema', async () => {
    expect(Number(before.identifiers.n)).toBe(PREFIXES.length * IDENTIFIERS_PER_PREFIX);
    expect(Number(before.events.n)).toBe(EVENTS);
    expect(await snapshot()).toEqual(before);
    expect(await leafPartitions('identifiers')).toEqual([{ schema: PARTITION_SCHEMA, n: String(HASH_PARTITIONS) }]);
    expect(await leafPartitions('epcis_events')).toEqual([{ schema: PARTITION_SCHEMA, n: String(HASH_PARTITIONS) }]);
    const kinds = await db.client.query<{ relname: string; relkind: string }>(`SELECT relname, relkind FROM pg_class WHERE relname IN ('identifiers', 'epcis_events') AND relnamespace = 'public'::regnamespace ORDER BY relname`);
    expect(kinds.rows).toEqual([{ relname: 'epcis_events', relkind: 'p' }, { relname: 'identifiers', relkind: 'p' }]);
    // A prefix's identifiers share one partition; events spread over many.
    const perPrefix = await db.client.query<{ n: string }>(`SELECT count(DISTINCT tableoid) AS n FROM identifiers GROUP BY prefix_key`);
    expect(perPrefix.rows.every((r) => r.n === '1')).toBe(true);
    const eventPartitions = await db.client.query<{ n: string }>(`SELECT count(DISTINCT tableoid) AS n FROM epcis_events`);
    expect(Number(eventPartitions.rows[0].n)).toBeGreaterThan(HASH_PARTITIONS / 2);
    // Other tables are untouched by the move: a lookup by handle reads one partition.
    const plan = await db.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT * FROM identifiers WHERE handle_key = '88.118.8/item-1/part' AND prefix_key = '88.118.8'`);
    expect(plan.rows.filter((r) => /on identifiers_h\d\d/.test(r['QUERY PLAN']))).toHaveLength(1);
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

  it('keeps events unique per owner and eventIDs unique node-wide, with edges cascading', async () => {
    const insert = (prefix: string, id: string, conflict = '') =>
      db.client.query(
        `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, source, document)
         VALUES ($2, 'h', 'ObjectEvent', $1, now(), '+08:00', 'mqtt', '{}') ${conflict}`,
        [prefix, id],
      );
    // A redelivery by the same owner is a duplicate (nothing inserted).
    expect((await insert('88.118.9', 'urn:uuid:ev-1', 'ON CONFLICT (enterprise_prefix, event_id) DO NOTHING RETURNING event_id')).rows).toEqual([]);
    // The same eventID from another owner meets the node-wide key, recognised by the event store.
    const failure = await insert('88.118.8', 'urn:uuid:ev-1', 'ON CONFLICT (enterprise_prefix, event_id) DO NOTHING').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
    expect(String((failure as Error).message)).toMatch(/uq_epcis_events_event_id_h\d\d/);
    expect(isEventIdConflict(failure)).toBe(true);
    // Edges still need their event, and go with it.
    await expect(db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('x', 'urn:uuid:missing', 'epc')`)).rejects.toThrow(/fk_epcis_event_identifiers_event/);
    await db.client.query(`DELETE FROM epcis_events WHERE event_id = 'urn:uuid:ev-7'`);
    expect((await db.client.query(`SELECT count(*)::int AS n FROM epcis_containment WHERE event_id = 'urn:uuid:ev-7'`)).rows[0].n).toBe(0);
    expect((await db.client.query(`SELECT count(*)::int AS n FROM epcis_event_identifiers WHERE event_id = 'urn:uuid:ev-7'`)).rows[0].n).toBe(0);
  });

  it('goes back to plain tables with every row, and forward again; the entities then need no change', async () => {
    const now = await snapshot();
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
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});
