import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** The usage_counts table: created by its migration exactly as its entity describes it, with its constraints. */
describe('usage_counts schema', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('statschema');
    dataSource = new DataSource(dataSourceOptions(db.url, { poolSize: 2 }));
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'all' });
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('needs no change beyond its migration (entity and migration agree)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('has the primary key (prefix_key, minute, kind, outcome), a C-collated prefix key and a kind/minute index', async () => {
    const key = await db.client.query<{ column_name: string }>(
      `SELECT a.attname AS column_name
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'usage_counts'::regclass AND i.indisprimary
        ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    );
    expect(key.rows.map((r) => r.column_name)).toEqual(['prefix_key', 'minute', 'kind', 'outcome']);
    const collation = await db.client.query<{ collation_name: string }>(
      `SELECT collation_name FROM information_schema.columns WHERE table_name = 'usage_counts' AND column_name = 'prefix_key'`,
    );
    expect(collation.rows[0].collation_name).toBe('C');
    const index = await db.client.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_usage_counts_kind_minute'`);
    expect(index.rows[0].indexdef).toMatch(/\(kind, minute\)$/);
  });

  it('refuses unknown kinds, outcomes that belong to the other kind, and negative counts', async () => {
    const insert = (kind: string, outcome: string, count: number) =>
      db.client.query(`INSERT INTO usage_counts (prefix_key, minute, kind, outcome, count) VALUES ('88.118.8', '2026-11-01T00:00:00Z', $1, $2, $3)`, [kind, outcome, count]);
    await expect(insert('resolution', 'create', 1)).rejects.toThrow(/ck_usage_counts_outcome/);
    await expect(insert('registration', 'l1', 1)).rejects.toThrow(/ck_usage_counts_outcome/);
    await expect(insert('lookup', 'l1', 1)).rejects.toThrow(/ck_usage_counts_outcome/);
    await expect(insert('resolution', 'l1', -1)).rejects.toThrow(/ck_usage_counts_count/);
    await insert('resolution', 'not_found', 3);
    await insert('registration', 'delete', 2);
    await expect(insert('registration', 'delete', 2)).rejects.toThrow(/pk_usage_counts/);
  });

  it('migrates down and up again', async () => {
    const applied = async () => (await db.client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name);
    // Undo migrations until this one is undone (later migrations may have been added after it).
    while ((await applied()).includes('UsageCounts1795460000000')) await dataSource.undoLastMigration({ transaction: 'all' });
    const gone = await db.client.query(`SELECT to_regclass('usage_counts') AS t`);
    expect(gone.rows[0].t).toBeNull();
    await dataSource.runMigrations({ transaction: 'all' });
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries).toEqual([]);
  });
});
